package headless

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestPage loads a page that opens a dialog and calls a binding, and checks
// that both arrive as events, the dialog is answered and the page goes on.
func TestPage(t *testing.T) {
	bin := Find()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install chromium; bash .ci/run installs it)")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>t</title><p id=p>x</p><script>alert("hi"); window.mark("called"); document.getElementById("p").textContent = "after";</script>`)
	}))
	defer srv.Close()
	b, err := Launch(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Call(ctx, "Runtime.addBinding", map[string]any{"name": "mark"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	var text string
	if err := p.Evaluate(ctx, `document.getElementById("p").textContent`, &text); err != nil || text != "after" {
		t.Errorf("page text %q, %v: the dialog blocked the page?", text, err)
	}
	var dialog, binding string
	for _, e := range p.Events() {
		switch e.Method {
		case "Page.javascriptDialogOpening":
			var d struct{ Message string }
			json.Unmarshal(e.Params, &d)
			dialog = d.Message
		case "Runtime.bindingCalled":
			var c struct{ Payload string }
			json.Unmarshal(e.Params, &c)
			binding = c.Payload
		}
	}
	if dialog != "hi" || binding != "called" {
		t.Errorf("dialog %q, binding %q", dialog, binding)
	}
	if err := p.Evaluate(ctx, `(() => { throw new Error("boom") })()`, nil); err == nil {
		t.Errorf("an exception is no error")
	}
}
