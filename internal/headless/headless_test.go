package headless

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
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
	p := Start(t, bin)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
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

// TestScreenshotAndConsole sets a viewport, takes a screenshot of it, reads
// the DOM the page's script changed, and collects the console's messages.
func TestScreenshotAndConsole(t *testing.T) {
	bin := Find()
	if bin == "" {
		t.Skip("chromium not installed (apt-get install chromium; bash .ci/run installs it)")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>t</title><style>body{margin:0;background:#0f1115}</style>`+
			`<p id=p>x</p><img src=/missing.png><script>console.warn("careful", 42); document.getElementById("p").textContent = "after";</script>`)
	}))
	defer srv.Close()
	p := Start(t, bin)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := p.SetViewport(ctx, 390, 700); err != nil {
		t.Fatal(err)
	}
	if err := p.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	data, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != 390 || s.Y != 700 {
		t.Errorf("screenshot is %v, want the 390×700 viewport", s)
	}
	if r, g, bl, _ := img.At(380, 690).RGBA(); r>>8 != 0x0f || g>>8 != 0x11 || bl>>8 != 0x15 {
		t.Errorf("screenshot corner %02x%02x%02x, want the page's background 0f1115", r>>8, g>>8, bl>>8)
	}
	html, err := p.HTML(ctx)
	if err != nil || !strings.Contains(html, `<p id="p">after</p>`) {
		t.Errorf("HTML %q, %v", html, err)
	}
	console := strings.Join(Console(p.Events()), "\n")
	for _, want := range []string{"console.warning: careful 42", "missing.png"} {
		if !strings.Contains(console, want) {
			t.Errorf("console lacks %q:\n%s", want, console)
		}
	}
	if strings.Contains(console, "favicon.ico") {
		t.Errorf("the browser's own favicon request is in the console:\n%s", console)
	}
}
