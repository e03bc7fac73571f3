// Package workload generates the deterministic benchmark inputs of bench/
// and of the pipeline's Go benchmarks: RSSHub-style RSS 2.0 feeds of ~8 KB
// Chinese HTML items with three images each, and the feedpost.yaml that
// reads them.
//
// Everything is derived from a seed with math/rand/v2's PCG, so the same
// (seed, source, generation) always gives the same bytes on every machine:
// runs are comparable across commits, and a feed server can answer a
// conditional GET with an ETag that stays put between cycles.
package workload

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// ItemBytes is the target size of one item's HTML body.
const ItemBytes = 8 << 10

// ImagesPerItem is how many images every body carries.
const ImagesPerItem = 3

// words is the vocabulary of the bodies: news Chinese, as the sample feed
// (testdata/sample: 趣头条 via RSSHub) has it. Each word is 2–4 characters, 6–12
// bytes of UTF-8.
var words = strings.Fields(`
经济 发展 建设 企业 市场 服务 社会 政府 工作 人民 国家 城市 地区 项目 技术
创新 数字 平台 用户 数据 产品 行业 投资 金融 银行 支行 网点 员工 客户 疫情
防控 社区 群众 部门 领导 会议 政策 措施 落实 推进 加强 提升 保障 完善 推动
开展 实施 组织 管理 运营 增长 下降 同比 环比 季度 年度 计划 目标 任务 要求
记者 采访 报道 表示 认为 指出 强调 介绍 据悉 目前 今年 去年 近日 日前 未来
科技 互联网 人工智能 芯片 手机 新能源 汽车 电池 充电 智能 制造 工厂 供应链
教育 学校 学生 老师 医院 医生 患者 健康 文化 旅游 体育 比赛 冠军 球队 电影
消费者 价格 上涨 房地产 住房 租赁 交通 地铁 高铁 机场 航班 天气 降雨 气温
农业 农村 农民 粮食 生产 收入 就业 岗位 人才 培训 合作 交流 国际 全球 发布
公司 股份 上市 股票 基金 资本 融资 估值 亿元 万元 百分之 明显 持续 稳定 积极
`)

// punct closes a clause or a sentence.
var punct = []string{"，", "，", "，", "、", "。", "。", "；", "！", "？"}

// gen is one generator; not safe for concurrent use.
type gen struct {
	r *rand.Rand
}

func newGen(seed uint64, stream uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, stream))}
}

func (g *gen) word() string { return words[g.r.IntN(len(words))] }

// sentence writes about n bytes of Chinese text ending in 。, ！ or ？.
func (g *gen) sentence(b *strings.Builder, n int) {
	start := b.Len()
	for b.Len()-start < n {
		for k := 2 + g.r.IntN(5); k > 0; k-- {
			b.WriteString(g.word())
		}
		if g.r.IntN(9) == 0 {
			fmt.Fprintf(b, "%d", 2+g.r.IntN(3000)) // figures, as news text has them
		}
		p := punct[g.r.IntN(len(punct))]
		if b.Len()-start >= n && (p == "，" || p == "、" || p == "；") {
			p = "。" // a paragraph ends with a full stop
		}
		b.WriteString(p)
	}
}

// Body returns one item's HTML: paragraphs of Chinese text around three
// images, in the forms feeds really use — a plain <img> with data-size (as
// the sample), a lazy-loaded one (placeholder src, real URL in data-src) and
// one inside a <figure> with a caption — plus a link, inline markup, an
// inline style and a script the sanitiser must drop. It is about ItemBytes
// long.
func (g *gen) body(src, item int) string {
	var b strings.Builder
	b.Grow(ItemBytes + 512)
	img := func(k int) string {
		return fmt.Sprintf("http://static.example.com/qupost/img/2026/%02d/%02d/%016x.jpeg", 1+src%12, 1+item%28, g.r.Uint64())
	}
	para := func(n int) {
		b.WriteString("<p>")
		g.sentence(&b, n)
		b.WriteString("</p>")
	}
	fmt.Fprintf(&b, `<p><img src="%s" data-size="800,571"></p>`, img(0))
	para(600)
	para(900)
	b.WriteString(`<p style="text-align:center"><strong>`)
	g.sentence(&b, 90)
	b.WriteString(`</strong></p>`)
	para(800)
	fmt.Fprintf(&b, `<p><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" data-src="%s" width="640" height="427" class="lazy"></p>`, img(1))
	para(1000)
	b.WriteString(`<p>`)
	g.sentence(&b, 300)
	fmt.Fprintf(&b, `<a href="/detail.html?content_id=%d" target="_blank" onclick="track(this)">%s%s</a>`, 700000000+src*1000+item, g.word(), g.word())
	g.sentence(&b, 200)
	b.WriteString(`</p><script>window.__track && __track("view")</script>`)
	para(900)
	fmt.Fprintf(&b, `<figure><img src="%s" alt="%s" width="600" height="800"><figcaption>`, img(2), g.word())
	g.sentence(&b, 60)
	b.WriteString(`</figcaption></figure>`)
	for b.Len() < ItemBytes-200 {
		para(min(700, ItemBytes-b.Len()))
	}
	return b.String()
}

// title returns a headline of 12–30 characters, sometimes with the
// punctuation YAML front matter must quote.
func (g *gen) title() string {
	var b strings.Builder
	for b.Len() < 36+g.r.IntN(54) {
		b.WriteString(g.word())
	}
	switch g.r.IntN(6) {
	case 0:
		return b.String() + "：" + g.word() + g.word()
	case 1:
		return "“" + g.word() + "”" + b.String()
	case 2:
		return b.String() + ": " + g.word() + " #" + fmt.Sprint(g.r.IntN(99))
	}
	return b.String()
}

// Epoch is the date of generation 0's newest item; later items are older.
var Epoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// Feed returns the RSS 2.0 document of source src (0-based) with n items.
// Generation gen changes every item (new guids, new text): a benchmark that
// must never see an unchanged item asks for a new generation each time.
func Feed(seed uint64, src, n, gen int) []byte {
	g := newGen(seed, uint64(src)<<20|uint64(gen))
	var b strings.Builder
	b.Grow(n * (ItemBytes + 600))
	name := fmt.Sprintf("新闻源%d", src)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
<channel>
<title><![CDATA[%s]]></title>
<link>http://news%d.example.com</link>
<atom:link href="http://localhost:1200/bench/%d" rel="self" type="application/rss+xml" />
<description><![CDATA[%s - Made with love by RSSHub(https://github.com/DIYgod/RSSHub)]]></description>
<generator>RSSHub</generator>
<language>zh-cn</language>
<lastBuildDate>%s</lastBuildDate>
<ttl>5</ttl>
`, name, src, src, name, Epoch.Format(time.RFC1123))
	for i := 0; i < n; i++ {
		date := Epoch.Add(-time.Duration(i*37+src%60) * time.Minute).Add(time.Duration(gen) * time.Hour)
		link := fmt.Sprintf("http://news%d.example.com/detail.html?content_id=%d", src, 735000000+gen*100000+i)
		fmt.Fprintf(&b, `<item>
<title><![CDATA[%s]]></title>
<description><![CDATA[%s]]></description>
<pubDate>%s</pubDate>
<guid isPermaLink="false">%s</guid>
<link>%s</link>
<author><![CDATA[%s]]></author>
</item>
`, g.title(), g.body(src, i), date.Format(time.RFC1123), link, link, name)
	}
	b.WriteString("</channel>\n</rss>\n")
	return []byte(b.String())
}

// Bodies returns the item bodies of Feed(seed, src, n, gen), for measuring
// an HTML tokenizer on exactly what the pipeline cleans.
func Bodies(seed uint64, src, n, gen int) []string {
	g := newGen(seed, uint64(src)<<20|uint64(gen))
	out := make([]string, n)
	for i := range out {
		g.title()
		out[i] = g.body(src, i)
	}
	return out
}

// Outputs are the folders and image settings of a generated config. An
// empty folder disables that output.
type Outputs struct {
	Store, Hexo, Hugo, Site string
	// BuiltinProxy switches images to feedpost's own signed proxy, with this
	// secret, its cache in CacheDir, allowed to fetch from loopback (where
	// the benchmark's image server is).
	BuiltinProxy bool
	Secret       string
	CacheDir     string
}

// Config returns a feedpost.yaml reading sources 0..n-1 from urlFor(i).
// The blocks are those of the README's example config. fetch.per_host is raised to
// fetch.concurrency: the one loopback feed server stands for n different
// sites, which the default per-host limit of 2 would serialise.
func Config(n int, urlFor func(i int) string, out Outputs) string {
	var b strings.Builder
	images := `  proxy: "https://cors.example.workers.dev/?"
  proxy_scope: http
  no_referrer: true`
	if out.BuiltinProxy {
		images = fmt.Sprintf(`  proxy: builtin
  proxy_scope: all
  no_referrer: true
  allow_private: true
  cache_dir: %q`, out.CacheDir)
	}
	secret := ""
	if out.Secret != "" {
		secret = fmt.Sprintf("secret: %q\n", out.Secret)
	}
	fmt.Fprintf(&b, `# Generated by bench/gen: %d sources.
site:
  title: 新闻聚合
  url: https://news.example.com
  timezone: Asia/Shanghai
  dir: %q
store: %q
%sfetch:
  concurrency: 8
  per_host: 8
  timeout: 30s
  retries: 0
images:
%s
hexo:
  dir: %q
hugo:
  dir: %q
defaults:
  limit: 30
sources:
`, n, out.Site, out.Store, secret, images, out.Hexo, out.Hugo)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - url: %q\n    name: s%04d\n    category: [新闻, 分类%d]\n", urlFor(i), i, i%25)
	}
	return b.String()
}
