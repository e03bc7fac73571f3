package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The repository's own files pass.
func TestRepositoryFiles(t *testing.T) {
	if p, err := lintDockerfile(filepath.Join("..", "..", "Dockerfile")); err != nil || len(p) > 0 {
		t.Errorf("Dockerfile: %v %v", err, p)
	}
	if p, err := checkCompose(filepath.Join("..", "compose.yaml")); err != nil || len(p) > 0 {
		t.Errorf("compose.yaml: %v %v", err, p)
	}
}

func TestDockerfileProblems(t *testing.T) {
	good := "FROM golang:1.26 AS build\nRUN CGO_ENABLED=0 go build -o /f .\nFROM scratch\nCOPY --from=build /f /f\nCOPY --from=build /tmp /tmp\nUSER 10001\nVOLUME /data\nHEALTHCHECK CMD [\"/f\", \"healthcheck\"]\nENTRYPOINT [\"/f\"]\nCMD [\"serve\"]\n"
	cases := []struct{ name, dockerfile, want string }{
		{"good", good, ""},
		{"BuildKit: stage name casing", strings.Replace(good, "AS build", "AS Build", 1) + "", "StageNameCasing"},
		{"BuildKit: legacy ENV", strings.Replace(good, "USER 10001", "USER 10001\nENV A b", 1), "LegacyKeyValueFormat"},
		{"BuildKit: shell-form CMD", strings.Replace(good, `CMD ["serve"]`, "CMD serve", 1), "JSONArgsRecommended"},
		{"root user", strings.Replace(good, "USER 10001", "USER root", 1), "non-root USER"},
		{"no user", strings.Replace(good, "USER 10001\n", "", 1), "non-root USER"},
		{"no healthcheck", strings.Replace(good, "HEALTHCHECK CMD [\"/f\", \"healthcheck\"]\n", "", 1), "no HEALTHCHECK"},
		{"healthcheck none", strings.Replace(good, "HEALTHCHECK CMD [\"/f\", \"healthcheck\"]", "HEALTHCHECK NONE", 1), "no HEALTHCHECK"},
		{"no volume", strings.Replace(good, "VOLUME /data\n", "", 1), "no VOLUME /data"},
		{"not serve", strings.Replace(good, `CMD ["serve"]`, `CMD ["run"]`, 1), "not serve"},
		{"no /tmp on scratch", strings.Replace(good, "COPY --from=build /tmp /tmp\n", "", 1), "without a /tmp"},
		{"cgo", strings.Replace(good, "CGO_ENABLED=0 ", "", 1), "static binary"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "Dockerfile")
			if err := os.WriteFile(path, []byte(c.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			problems, err := lintDockerfile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(problems, "\n")
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("problems:\n%s\nwant %q", got, c.want)
			}
		})
	}
	if _, err := lintDockerfile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing Dockerfile passed")
	}
}

func TestComposeProblems(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	cases := []struct{ name, compose, want string }{
		{"good", "services:\n  a:\n    build: .\n  b:\n    image: x\n    profiles: [p]\n  c:\n    image: y\n    depends_on:\n      b: {condition: service_started, required: false}\n", ""},
		{"unknown key", "services:\n  a:\n    image: x\n    imagee: y\n", "imagee"},
		{"depends on nothing", "services:\n  a:\n    image: x\n    depends_on: [b]\n", "b"},
		{"no image or build", "services:\n  a:\n    restart: always\n", "neither an image nor a build"},
		{"missing build context", "services:\n  a:\n    build: ./nowhere\n", "nowhere"},
		{"missing Dockerfile", "services:\n  a:\n    build: {context: ., dockerfile: Nope}\n", "Nope"},
		{"bad port", "services:\n  a:\n    image: x\n    ports: [\"80:eighty\"]\n", "eighty"},
		{"undefined volume", "services:\n  a:\n    image: x\n    volumes: [data:/data]\n", "data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(path, []byte(c.compose), 0o644); err != nil {
				t.Fatal(err)
			}
			problems, err := checkCompose(path)
			got := strings.Join(problems, "\n")
			if err != nil {
				got += err.Error()
			}
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
