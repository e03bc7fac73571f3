package store

import (
	"reflect"
	"slices"
	"testing"
)

// TestImages: the images table and who uses what, on every backend.
func TestImages(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		mustPut(t, s, item("a", hours(1)), item("b", hours(2)))
		ok := Image{URL: "https://img/ok.jpg", Name: "aa.jpg", Size: 10, Width: 4, Height: 3, Thumb: "aa-4x3.jpg", ThumbSpec: "4x3"}
		bad := Image{URL: "https://img/bad.jpg", Failures: 2, LastError: "upstream 404", NextTry: hours(5)}
		shared := Image{URL: "https://img/shared.jpg", Name: "cc.png", Size: 7, Thumb: "cc-4x3.jpg", ThumbSpec: "4x3"}
		if err := s.PutImages(ctx, []Image{ok, bad, shared, shared}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Images(ctx, []string{ok.URL, bad.URL, "https://img/never.jpg"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, map[string]Image{ok.URL: ok, bad.URL: bad}) {
			t.Errorf("Images: %+v", got)
		}
		if err := s.SaveMirrored(ctx, []Rendering{{ID: "a", Rendered: []byte(`{}`), Body: "<p>a</p>", Fingerprint: "f"}},
			map[string][]PostImage{
				"a": {{URL: ok.URL, Cover: true}, {URL: bad.URL}, {URL: shared.URL}, {URL: ok.URL}},
				"b": {{URL: bad.URL}, {URL: shared.URL, Cover: true}},
			}); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkWritten(ctx, []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		due, err := s.DueImages(ctx, hours(4), 10)
		if err != nil || len(due) != 0 {
			t.Errorf("DueImages before its time: %v %v", due, err)
		}
		if due, err = s.DueImages(ctx, hours(5), 10); err != nil || !slices.Equal(due, []string{bad.URL}) {
			t.Errorf("DueImages: %v %v", due, err)
		}
		if n, err := s.MarkPendingUsing(ctx, []string{bad.URL}); err != nil || n != 2 {
			t.Errorf("MarkPendingUsing: %d %v", n, err)
		}
		if pend, _ := s.PendingItems(ctx, "", 0); len(pend) != 2 {
			t.Errorf("%d pending", len(pend))
		}
		used, err := s.UsedImageNames(ctx)
		want := map[string]bool{"aa.jpg": true, "aa-4x3.jpg": true, "cc.png": true, "cc-4x3.jpg": true}
		if err != nil || !reflect.DeepEqual(used, want) {
			t.Errorf("UsedImageNames: %v %v", used, err)
		}
		// b goes: the shared image is no cover any more, bad.jpg still used by a.
		if err := s.Prune(ctx, []string{"b"}); err != nil {
			t.Fatal(err)
		}
		used, _ = s.UsedImageNames(ctx)
		delete(want, "cc-4x3.jpg")
		if !reflect.DeepEqual(used, want) {
			t.Errorf("UsedImageNames after prune: %v", used)
		}
		if n, err := s.DeleteUnusedImages(ctx); err != nil || n != 0 {
			t.Errorf("DeleteUnusedImages: %d %v", n, err)
		}
		// The post's uses replaced: only ok.jpg now.
		if err := s.SaveMirrored(ctx, nil, map[string][]PostImage{"a": {{URL: ok.URL}}}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteUnusedImages(ctx); err != nil || n != 2 {
			t.Errorf("DeleteUnusedImages: %d %v", n, err)
		}
		if got, _ := s.Images(ctx, []string{ok.URL, bad.URL, shared.URL}); len(got) != 1 {
			t.Errorf("left: %v", got)
		}
		if err := s.MarkPending(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkPending(ctx, []string{"a", "zz"}); err != nil {
			t.Fatal(err)
		}
		if pend, _ := s.PendingItems(ctx, "", 0); len(pend) != 1 {
			t.Errorf("%d pending after MarkPending", len(pend))
		}
	})
}
