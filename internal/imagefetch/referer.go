package imagefetch

import (
	"fmt"
	"net/url"
	"strings"
)

// builtinReferers names the Referer that well-known hotlink-protected image
// hosts want; every other host gets no Referer at all. An empty value
// records a host known to work best without one.
var builtinReferers = map[string]string{
	"*.sinaimg.cn":    "https://weibo.com/",
	"mmbiz.qpic.cn":   "https://mp.weixin.qq.com/",
	"mmbiz.qlogo.cn":  "https://mp.weixin.qq.com/",
	"*.hdslb.com":     "https://www.bilibili.com/",
	"*.zhimg.com":     "https://www.zhihu.com/",
	"*.cnbetacdn.com": "https://www.cnbeta.com.tw/",
	"*.doubanio.com":  "https://www.douban.com/",
	"*.jianshu.io":    "https://www.jianshu.com/",
	"*.pstatp.com":    "",
	"*.byteimg.com":   "",
}

// mergeReferers returns the built-in table with extra (images.referers)
// laid over it, after checking extra's patterns and values.
func mergeReferers(extra map[string]string) (map[string]string, error) {
	table := make(map[string]string, len(builtinReferers)+len(extra))
	for k, v := range builtinReferers {
		table[k] = v
	}
	for pattern, ref := range extra {
		key := strings.ToLower(strings.TrimSpace(pattern))
		host := strings.TrimPrefix(key, "*.")
		if host == "" || strings.ContainsAny(host, "*/:@ ") {
			return nil, fmt.Errorf("imagefetch: referer pattern %q: want a host name or *.domain", pattern)
		}
		ref = strings.TrimSpace(ref)
		if ref != "" {
			u, err := url.Parse(ref)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("imagefetch: referer for %q: %q is not an absolute http(s) URL", pattern, ref)
			}
		}
		table[key] = ref
	}
	return table, nil
}

// lookupReferer returns the Referer for host: an exact entry first, then the
// most specific "*.domain" pattern (which covers the domain itself too).
func lookupReferer(table map[string]string, host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ref, ok := table[host]; ok {
		return ref
	}
	for h := host; h != ""; {
		if ref, ok := table["*."+h]; ok {
			return ref
		}
		_, rest, ok := strings.Cut(h, ".")
		if !ok {
			break
		}
		h = rest
	}
	return ""
}
