package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"

	"github.com/feedpost/feedpost/internal/config"
)

// renderVersion changes when the rendering code changes what it makes of
// the same item under the same settings: every stored rendering then has
// a stale fingerprint and is rendered again by the builder.
// 3: issue 12 (inert labels, YAML escapes, kept class/id/anchors).
const renderVersion = 3

// renderSettings are the config values every rendering depends on. They
// are spelt out field by field (not the option structs, whose output
// folders do not change a rendering), and versioned.
type renderSettings struct {
	Version      int      `json:"v"`
	Proxy        string   `json:"proxy"` // what the proxy makes of a probe URL
	ProxyScope   string   `json:"scope"`
	NoReferrer   bool     `json:"no_referrer"`
	DefaultCover string   `json:"default_cover"`
	IframeHosts  []string `json:"iframe_hosts"`
	Timezone     string   `json:"tz"`
	// Mirror mode: the URL prefix, the fallback and the thumbnail size
	// (absent otherwise, so that other modes' fingerprints stay as they were).
	Mirror string `json:"mirror,omitempty"`
}

func newRenderSettings(cfg *config.Config, proxy func(string) string) renderSettings {
	probe := "http://example.invalid/x.jpg"
	if proxy != nil {
		probe = proxy(probe)
	}
	hosts := slices.Clone(cfg.Content.IframeHosts)
	slices.Sort(hosts)
	rs := renderSettings{Version: renderVersion, Proxy: probe, ProxyScope: cfg.Images.ProxyScope,
		NoReferrer: cfg.Images.NoReferrer, DefaultCover: cfg.Images.DefaultCover, IframeHosts: hosts,
		Timezone: cfg.Site.Location.String()}
	if im := cfg.Images; im.Mirror() {
		rs.Mirror = im.MirrorURL + " " + im.Fallback + " " + im.ThumbSpec()
	}
	return rs
}

// fingerprint names the settings a post of the source with this key is
// rendered under: the render settings and the source's own (author,
// category path). A stored rendering with another fingerprint is stale.
func (r *Runner) fingerprint(sourceKey string) string {
	src := r.sources[sourceKey]
	var author string
	var cats []string
	if src != nil {
		author, cats = src.Author, r.categoriesOf(src)
	}
	b, _ := json.Marshal(struct {
		renderSettings
		Author     string   `json:"author"`
		Categories []string `json:"categories"`
		Known      bool     `json:"known"` // the config lists the source
	}{r.render, author, cats, src != nil})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// outputsFingerprint names what the post files are written under: the
// Hexo and Hugo settings (folders included), the binary that writes them
// and the machine they are on. A builder whose fingerprint differs from
// the one recorded with the last build (another config, an upgrade,
// another machine taking over) writes every post file again.
func (r *Runner) outputsFingerprint() string {
	host, _ := os.Hostname()
	b, _ := json.Marshal(struct {
		Version string
		Host    string
		Hexo    any
		Hugo    any
	}{config.Version, host, r.hexo, r.hugo})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}
