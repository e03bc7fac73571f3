package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fakeRSSHub serves the bundled example feeds (examples/feeds) the way an
// RSSHub instance serves routes: /example/<file name without extension>, with
// ETags, and /api/namespace/example with route metadata, so that
// `category: auto` resolves. It returns the instance's URL and its routes.
func fakeRSSHub(t *testing.T) (string, []string) {
	t.Helper()
	feeds := filepath.Join("..", "..", "examples", "feeds")
	entries, err := os.ReadDir(feeds)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{} // route → file
	var routes []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if ext != ".xml" && ext != ".json" {
			continue
		}
		route := "/example/" + strings.TrimSuffix(e.Name(), ext)
		files[route] = filepath.Join(feeds, e.Name())
		routes = append(routes, route)
	}
	sort.Strings(routes)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/namespace/example" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"name":"示例","categories":["new-media"],"routes":{"/:feed":{"path":"/:feed","name":"示例源","categories":["new-media"]}}}`))
			return
		}
		path, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(path, ".json") {
			w.Header().Set("Content-Type", "application/feed+json")
		} else {
			w.Header().Set("Content-Type", "application/xml")
		}
		http.ServeFile(w, r, path) // Last-Modified and conditional GET, as a real server does
	}))
	t.Cleanup(srv.Close)
	return srv.URL, routes
}
