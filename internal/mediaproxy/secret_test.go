package mediaproxy

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sub", "feedpost.secret")
	t.Setenv(SecretEnv, "")
	if s, err := LoadSecret("configured", file); err != nil || string(s) != "configured" {
		t.Fatalf("configured: %q %v", s, err)
	}
	t.Setenv(SecretEnv, "from-env")
	if s, err := LoadSecret("", file); err != nil || string(s) != "from-env" {
		t.Fatalf("env: %q %v", s, err)
	}
	t.Setenv(SecretEnv, "")
	// Concurrent first runs agree on one generated secret.
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := LoadSecret("", file)
			if err != nil {
				t.Error(err)
			}
			got[i] = string(s)
		}()
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] || len(s) != 64 {
			t.Fatalf("secrets differ or are malformed: %q", got)
		}
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode: %v %v", st, err)
	}
	if again, _ := LoadSecret("", file); string(again) != got[0] {
		t.Errorf("secret not kept across calls")
	}
}
