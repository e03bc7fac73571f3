package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/fetch"
	"github.com/feedpost/feedpost/internal/rsshub"
	"github.com/feedpost/feedpost/internal/store"
)

// metaCategoryAuto caches a route's `category: auto` path in the source's
// store Meta: JSON of the levels, or "[]" when the instance has no API.
const metaCategoryAuto = "category_auto"

// get fetches src: RSSHub routes through the configured instances in order
// (falling over when one fails), everything else directly. It returns the
// URL actually fetched, which is where the validators belong.
func (r *Runner) get(ctx context.Context, src *config.Source, state *store.Source) (*fetch.Response, string, error) {
	if !src.IsRoute() {
		req := fetch.Request{URL: src.FetchURL, Headers: src.Headers}
		if state.URL == src.FetchURL {
			req.ETag, req.LastModified = state.ETag, state.LastModified
		}
		resp, err := r.client.Get(ctx, req)
		return resp, src.FetchURL, err
	}
	instances := rsshub.Instances(r.cfg.RSSHub, src.FetchURL)
	req := fetch.Request{Headers: src.Headers, ETag: state.ETag, LastModified: state.LastModified}
	resp, instance, err := rsshub.Get(ctx, r.client, instances, src.Route, r.cfg.RSSHubKey, req, rsshub.InstanceOf(state.URL, instances))
	if err != nil {
		return nil, "", err
	}
	return resp, rsshub.RouteURL(instance, src.Route, "", nil), nil
}

// autoCategories remembers the `category: auto` paths resolved in this
// process, so Render (which has no context) can use them.
type autoCategories struct {
	mu    sync.Mutex
	paths map[string][]string
}

func (a *autoCategories) get(key string) ([]string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.paths[key]
	return p, ok
}

func (a *autoCategories) set(key string, p []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.paths == nil {
		a.paths = map[string][]string{}
	}
	a.paths[key] = p
}

// resolveCategory fills in a `category: auto` route's path from the store's
// cache or, the first time, from the instance's route metadata API. An
// instance without the API caches an empty path (the feed title is used);
// other failures are retried on the next fetch.
func (r *Runner) resolveCategory(ctx context.Context, src *config.Source, state *store.Source, instanceURL string) {
	if !src.CategoryAuto {
		return
	}
	if cached, ok := state.Meta[metaCategoryAuto]; ok {
		var p []string
		if json.Unmarshal([]byte(cached), &p) == nil {
			r.auto.set(src.Key, p)
			return
		}
	}
	if !src.IsRoute() {
		r.auto.set(src.Key, nil)
		return
	}
	instances := rsshub.Instances(r.cfg.RSSHub, src.FetchURL)
	instance := rsshub.InstanceOf(instanceURL, instances)
	if instance == "" && len(instances) > 0 {
		instance = instances[0]
	}
	lang := "zh"
	if strings.HasPrefix(strings.ToLower(r.cfg.Site.Language), "en") {
		lang = "en"
	}
	path, err := rsshub.Category(ctx, r.client, instance, src.Route, r.cfg.RSSHubKey, lang)
	switch {
	case err == nil:
	case errors.Is(err, rsshub.ErrNoAPI), errors.Is(err, rsshub.ErrUnknownRoute):
		path = []string{}
	default:
		return // transient: ask again next time
	}
	r.auto.set(src.Key, path)
	if state.Meta == nil {
		state.Meta = map[string]string{}
	}
	b, _ := json.Marshal(path)
	state.Meta[metaCategoryAuto] = string(b)
}

// categoriesOf is the category path of the source's posts: the configured
// one, the resolved `auto` one, or nil (the caller uses the feed title).
func (r *Runner) categoriesOf(src *config.Source) []string {
	if src == nil {
		return nil
	}
	if src.CategoryAuto {
		if p, ok := r.auto.get(src.Key); ok {
			return p
		}
		if st, ok, err := r.st.Source(context.Background(), src.Key); err == nil && ok {
			var p []string
			if json.Unmarshal([]byte(st.Meta[metaCategoryAuto]), &p) == nil {
				r.auto.set(src.Key, p)
				return p
			}
		}
		return nil
	}
	return src.Category
}
