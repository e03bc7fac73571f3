// Package headless drives a headless Chromium over the DevTools protocol, for
// the integration tests that load feedpost's pages in a real browser: the
// XSS suite and the theme screenshots in internal/output/hexo, the built-in
// site from disk (internal/output/site) and from `serve` (internal/serve).
// It talks to the browser through --remote-debugging-pipe (file descriptors
// 3 and 4, JSON messages ended by a NUL byte), which needs no port, no
// WebSocket and no library.
//
// Why not chromedp: it is a large dependency for what the tests need — open
// a page at a viewport size, wait for its load event, evaluate a script,
// read its DOM, take a screenshot, collect the events a page raises
// (dialogs, binding calls, console messages) — which is a few hundred lines
// over the pipe.
package headless

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Find returns the path of a Chromium (or Chrome) binary on PATH, "" when
// there is none.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Flags are the launch flags that work in CI containers (root, no GPU, no
// network but loopback), with userDataDir as a fresh profile.
func Flags(userDataDir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + userDataDir}
}

// Event is a DevTools protocol event of a page.
type Event struct {
	Method string
	Params json.RawMessage
}

type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Browser is a running Chromium.
type Browser struct {
	cmd    *exec.Cmd
	out    *os.File // the browser reads commands from here (its fd 3)
	stderr bytes.Buffer

	wmu sync.Mutex // serialises writes to out

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	pages   map[string]*Page // by session id
	err     error            // set when the pipe broke
	done    chan struct{}    // closed when the reader stops
}

// Launch starts bin with Flags(userDataDir) and extra flags.
func Launch(bin, userDataDir string, extra ...string) (*Browser, error) {
	toBrowser, out, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	in, fromBrowser, err := os.Pipe()
	if err != nil {
		toBrowser.Close()
		out.Close()
		return nil, err
	}
	args := append(append(Flags(userDataDir), extra...), "--remote-debugging-pipe", "about:blank")
	b := &Browser{cmd: exec.Command(bin, args...), out: out, pending: map[int64]chan message{},
		pages: map[string]*Page{}, done: make(chan struct{})}
	b.cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fd 3 and fd 4
	b.cmd.Stderr = &b.stderr
	err = b.cmd.Start()
	toBrowser.Close()
	fromBrowser.Close()
	if err != nil {
		out.Close()
		in.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go b.read(in)
	return b, nil
}

// Start is Launch and NewPage for a test: the browser's profile is in
// t.TempDir(), and it is closed when t ends; a failure to start fails t.
func Start(t testing.TB, bin string, extra ...string) *Page {
	t.Helper()
	b, err := Launch(bin, t.TempDir(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// read dispatches the browser's messages until the pipe closes.
func (b *Browser) read(in *os.File) {
	defer close(b.done)
	defer in.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	for {
		data, err := r.ReadBytes(0)
		if err != nil {
			b.fail(fmt.Errorf("devtools pipe: %w", err))
			return
		}
		var m message
		if json.Unmarshal(data[:len(data)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.pending[m.ID]; ch != nil {
				ch <- m
			}
			delete(b.pending, m.ID)
			b.mu.Unlock()
			continue
		}
		p := b.pages[m.SessionID]
		b.mu.Unlock()
		if p == nil {
			continue
		}
		if m.Method == "Page.javascriptDialogOpening" {
			// A dialog blocks the page until answered; answer it here (not
			// waiting for the reply: this goroutine delivers replies).
			b.send("Page.handleJavaScriptDialog", m.SessionID, map[string]any{"accept": false}, nil)
		}
		p.push(Event{Method: m.Method, Params: m.Params})
	}
}

func (b *Browser) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
	for id, ch := range b.pending {
		if ch != nil {
			close(ch)
		}
		delete(b.pending, id)
	}
}

// send writes a command; the reply goes to ch (nil: discarded).
func (b *Browser) send(method, session string, params any, ch chan message) (int64, error) {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return 0, b.err
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return 0, err
	}
	data, err := json.Marshal(message{ID: id, Method: method, Params: p, SessionID: session})
	if err != nil {
		return 0, err
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	_, err = b.out.Write(append(data, 0))
	return id, err
}

// call sends a command and waits for its reply, decoding the result into
// result (when not nil).
func (b *Browser) call(ctx context.Context, method, session string, params, result any) error {
	ch := make(chan message, 1)
	id, err := b.send(method, session, params, ch)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: %w", method, b.Err())
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Err is why the connection broke, with the browser's stderr.
func (b *Browser) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		return nil
	}
	return fmt.Errorf("%w\n%s", b.err, lastBytes(b.stderr.Bytes(), 2000))
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Close asks the browser to quit and waits for it (killing it after a few
// seconds).
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.call(ctx, "Browser.close", "", nil, nil)
	b.out.Close()
	exited := make(chan error, 1)
	go func() { exited <- b.cmd.Wait() }()
	select {
	case err := <-exited:
		<-b.done
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // quitting on Browser.close may end with a signal
		}
		return err
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-exited
		return errors.New("chromium did not quit; killed")
	}
}

// Page is one tab, attached in flat mode.
type Page struct {
	b       *Browser
	session string

	mu     sync.Mutex
	events []Event
	wake   chan struct{}
}

// NewPage opens a blank tab and enables the Page, Runtime and Log domains
// (Log: the browser's own console messages, such as failed loads).
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "Target.createTarget", "", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "Target.attachToTarget", "", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: att.SessionID, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	b.pages[p.session] = p
	b.mu.Unlock()
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := p.Call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Page) push(e Event) {
	p.mu.Lock()
	p.events = append(p.events, e)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Call sends a command to the page and decodes its result into result.
func (p *Page) Call(ctx context.Context, method string, params, result any) error {
	return p.b.call(ctx, method, p.session, params, result)
}

// Events returns the events since the last call (or since Navigate) and
// forgets them.
func (p *Page) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	ev := p.events
	p.events = nil
	return ev
}

// Navigate loads url and waits for its load event. The events of earlier
// pages are dropped first.
func (p *Page) Navigate(ctx context.Context, url string) error {
	p.Events()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, nav.ErrorText)
	}
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.events); seen++ {
			if p.events[seen].Method == "Page.loadEventFired" {
				p.mu.Unlock()
				return nil
			}
		}
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-p.b.done:
			return fmt.Errorf("navigate %s: %w", url, p.b.Err())
		case <-ctx.Done():
			return fmt.Errorf("navigate %s: no load event: %w", url, ctx.Err())
		}
	}
}

// Evaluate runs expression in the page, awaiting a promise it returns, and
// decodes the value into result.
func (p *Page) Evaluate(ctx context.Context, expression string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expression, "awaitPromise": true, "returnByValue": true}, &r)
	if err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		if e.Exception != nil {
			return fmt.Errorf("evaluate: %s", e.Exception.Description)
		}
		return fmt.Errorf("evaluate: %s", e.Text)
	}
	if result == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, result)
}

// SetViewport makes the page's viewport width×height CSS pixels at one
// device pixel each: what a desktop window of that inner size shows. (The
// --window-size flag counts the window's frame in a tab opened over the
// protocol, so it does not fix the viewport.)
func (p *Page) SetViewport(ctx context.Context, width, height int) error {
	return p.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
}

// settleScript waits until what the viewport shows is drawn: the web fonts,
// the images in view (lazy ones included, 5 s at most each), then two
// animation frames.
const settleScript = `(async () => {
  await document.fonts.ready;
  const inView = img => { const r = img.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; };
  await Promise.all([...document.images].filter(img => !img.complete && inView(img)).map(img => new Promise(r => {
    img.addEventListener("load", r); img.addEventListener("error", r); setTimeout(r, 5000);
  })));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
})()`

// Screenshot returns a PNG of the viewport once its fonts and the images in
// view have loaded.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	if err := p.Evaluate(ctx, settleScript, nil); err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	var shot struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	if err := p.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return nil, err
	}
	return shot.Data, nil
}

// HTML returns the page's DOM as HTML (the document element, as Chromium's
// --dump-dom prints it), after the page's scripts have changed it.
func (p *Page) HTML(ctx context.Context) (string, error) {
	var html string
	err := p.Evaluate(ctx, "document.documentElement.outerHTML", &html)
	return html, err
}

// Console returns, one line each, the messages among events that a page's
// console would show: console API calls, uncaught exceptions, and the
// browser's own entries (failed loads, blocked content).
func Console(events []Event) []string {
	var out []string
	for _, e := range events {
		switch e.Method {
		case "Runtime.consoleAPICalled":
			var c struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			json.Unmarshal(e.Params, &c)
			line := "console." + c.Type + ":"
			for _, a := range c.Args {
				if a.Value != nil {
					line += fmt.Sprintf(" %v", a.Value)
				} else {
					line += " " + a.Description
				}
			}
			out = append(out, line)
		case "Runtime.exceptionThrown":
			var x struct {
				ExceptionDetails struct {
					Text      string `json:"text"`
					URL       string `json:"url"`
					Exception *struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(e.Params, &x)
			d := x.ExceptionDetails
			if d.Exception != nil {
				d.Text += " " + d.Exception.Description
			}
			out = append(out, "exception: "+d.Text+" ("+d.URL+")")
		case "Log.entryAdded":
			var l struct {
				Entry struct {
					Source string `json:"source"`
					Level  string `json:"level"`
					Text   string `json:"text"`
					URL    string `json:"url"`
				} `json:"entry"`
			}
			json.Unmarshal(e.Params, &l)
			if u, err := url.Parse(l.Entry.URL); err == nil && u.Path == "/favicon.ico" && l.Entry.Source == "network" {
				// The browser asks for /favicon.ico by itself, and reports
				// its 404 some times and not others: not the page's doing.
				continue
			}
			out = append(out, l.Entry.Source+" "+l.Entry.Level+": "+l.Entry.Text+" ("+l.Entry.URL+")")
		}
	}
	return out
}

// LoopbackOnly is the launch flag that leaves the browser no network but
// 127.0.0.1: every other host name fails to resolve, so a page can only
// show what the local test server has.
const LoopbackOnly = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"

// Image is a picture a page shows: the URL it loaded (currentSrc, which
// follows srcset) and its natural width, 0 when it did not load.
type Image struct {
	Src   string `json:"src"`
	Width int    `json:"w"`
}

// Images loads every picture of the page now (lazy ones too), waits until
// each has loaded or failed, and returns them in document order.
func (p *Page) Images(ctx context.Context) ([]Image, error) {
	var imgs []Image
	err := p.Evaluate(ctx, `(async () => {
		const imgs = [...document.images];
		imgs.forEach(i => { i.loading = "eager"; });
		await Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
		return imgs.map(i => ({src: i.currentSrc, w: i.naturalWidth}));
	})()`, &imgs)
	return imgs, err
}

// FolderImages serves dir on a loopback HTTP server, opens path there in a
// browser that can reach nothing else (LoopbackOnly), and returns the
// server's URL and the pictures the page shows: whether a published site
// shows its pictures from its own folder alone. bin is the browser.
func FolderImages(t testing.TB, bin, dir, path string) (string, []Image) {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	page := Start(t, bin, LoopbackOnly)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := page.Navigate(ctx, srv.URL+path); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	imgs, err := page.Images(ctx)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return srv.URL, imgs
}
