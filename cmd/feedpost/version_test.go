package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

// `feedpost version` prints what -ldflags set, and --json the same fields.
func TestVersionFromLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := t.TempDir() + "/feedpost"
	ld := "-X main.version=v9.8.7 -X main.commit=0123456789abcdef -X main.date=2026-12-01T10:30:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"feedpost v9.8.7\n", "commit:   0123456789abcdef", "date:     2026-12-01T10:30:00Z", "built by: go"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal(out, &info); err != nil || info["version"] != "v9.8.7" || info["commit"] != "0123456789abcdef" {
		t.Errorf("version --json: %s (%v)", out, err)
	}
}

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/healthz"
	ln.Close()
	for _, c := range []struct {
		name   string
		status int
		url    string
		code   int
		err    string
	}{
		{"healthy", 200, srv.URL + "/healthz", 0, ""},
		{"unhealthy", 503, srv.URL + "/healthz", 1, "503"},
		{"wrong path", 200, srv.URL + "/nothing", 1, "404"},
		{"nothing listening", 200, closed, 1, "connection refused"},
		{"bad URL", 200, "::", 2, "--url"},
	} {
		status = c.status
		code, _, errs := run(t, "healthcheck", "--url", c.url)
		if code != c.code || !strings.Contains(errs, c.err) {
			t.Errorf("%s: exit %d, %q; want %d and %q", c.name, code, errs, c.code, c.err)
		}
	}
	if _, out, _ := run(t, "--help"); strings.Contains(out, "healthcheck") {
		t.Error("healthcheck shows in the help; it is for the container only")
	}
}
