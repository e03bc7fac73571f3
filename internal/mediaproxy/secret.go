package mediaproxy

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SecretEnv names the environment variable that may hold the signing secret.
const SecretEnv = "FEEDPOST_SECRET"

// LoadSecret returns the HMAC secret: configured (config `secret`) if set,
// else $FEEDPOST_SECRET, else the contents of file, which is created with a
// fresh random secret on first use. The file keeps signed URLs in written
// posts valid across restarts; delete it to revoke every URL at once.
func LoadSecret(configured, file string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	if env := os.Getenv(SecretEnv); env != "" {
		return []byte(env), nil
	}
	data, err := os.ReadFile(file)
	if err == nil {
		if s := strings.TrimSpace(string(data)); s != "" {
			return []byte(s), nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read secret %s: %w", file, err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(b[:])
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	// Write a complete temp file, then hard-link it into place: the link
	// fails when the file exists, so when two processes race to create it,
	// one wins and the other reads the winner's (always complete) secret.
	tmp, err := os.CreateTemp(filepath.Dir(file), ".secret-*")
	if err != nil {
		return nil, fmt.Errorf("create secret %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(secret + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("write secret %s: %w", file, err)
	}
	if err := os.Link(tmp.Name(), file); errors.Is(err, os.ErrExist) {
		return LoadSecret("", file)
	} else if err != nil {
		return nil, fmt.Errorf("create secret %s: %w", file, err)
	}
	return []byte(secret), nil
}
