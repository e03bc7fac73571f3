#!/usr/bin/env bash
# bench/run.sh — feedpost's benchmark suite (issue 7). See bench/README.md.
#
# Usage: bench/run.sh [--quick] [--install] [--runs N] [--keep] [--work DIR]
#
#   --quick    smaller sizes, for a smoke run (about 3 minutes): 50 sources
#              instead of 500, 1,000 posts for the output stage instead of
#              10,000, no 2,000-source memory run, shorter load tests.
#   --install  install what the comparisons need first: `apt-get install hugo
#              time` and `npm install` in testdata/hexo-site. Without it
#              nothing is installed, and a missing tool's figures are skipped
#              with a message.
#   --runs N   runs per figure (default 3); figures are the median, with the
#              min and max beside it.
#   --keep     keep the work folder (feeds, stores, sites) for inspection.
#   --work DIR work folder (default: a new folder under ${TMPDIR:-/tmp}).
#
# What it does, in order (every workload is generated from a fixed seed by
# bench/workload, so runs are comparable across commits and machines):
#   1. BenchmarkStages, BenchmarkPipeline and BenchmarkTokenizer of
#      internal/pipeline (the test binary is built once, at the start) on 1
#      and 2 cores: feed bytes in → Hexo post files out, without the store
#      (Stages) and as a whole run with it (Pipeline), posts on the disk and
#      on tmpfs (/dev/shm), next to the raw x/net/html tokenizer over the
#      same item bodies.
#   2. bench/feedserver serves S sources × 20 items (~8 KB Chinese HTML, 3
#      images each) on loopback with 5 ms latency and ETags; `feedpost run`
#      (Hexo posts + built-in site, the default outputs) from an empty store:
#      wall, CPU (user+sys) and peak RSS from /usr/bin/time -v.
#   3. `feedpost run` again on the same store: every feed answers 304.
#   4. 10,000 posts (500 sources × 20): `feedpost build` with only the site
#      on, bench/sitebuild (the site stage alone), `hugo` on the same posts
#      (Hugo writer output, bench/hugo-site layouts) and `hexo generate` (Hexo
#      writer output, testdata/hexo-site), each into an empty folder.
#   5. `feedpost serve` with the built-in image proxy, and Go's http.FileServer
#      in processes of their own on the same 16 JPEG files (bare, and behind
#      serve's timeouts); bench/imgload loads them with 64 keep-alive
#      connections, rotating rounds: cached-hit requests/s, p99 and server CPU
#      per request of each and the ratios; then misses/s (every request a new
#      URL) against a loopback upstream answering after 20 ms.
#   6. (full mode) peak RSS of a 2,000-source cycle against the 500-source one.
#
# Only loopback addresses are used; every server started here is stopped on
# exit. Needs: Go, /usr/bin/time (Debian package `time`); optional: hugo,
# node/npm (Hexo).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
QUICK=0 INSTALL=0 RUNS=3 KEEP=0 WORK=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --install) INSTALL=1 ;;
    --runs) RUNS=$2; shift ;;
    --keep) KEEP=1 ;;
    --work) WORK=$2; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ $QUICK = 1 ]; then
  SOURCES=50 POST_SOURCES=50 MEM_SOURCES=0 PIPE_N=3x TOK_T=0.3s LOAD_T=3s
else
  SOURCES=500 POST_SOURCES=500 MEM_SOURCES=2000 PIPE_N=10x TOK_T=1s LOAD_T=10s
fi
ITEMS=20 LATENCY=5ms

log() { printf '\n== %s\n' "$*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

if [ $INSTALL = 1 ]; then
  log "installing hugo, time, Hexo (--install)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends hugo time >/dev/null
  (cd "$ROOT/testdata/hexo-site" && npm install --no-audit --no-fund --loglevel=error)
fi
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time (or run with --install)"
command -v go >/dev/null || die "go is not on PATH"

[ -n "$WORK" ] || WORK=$(mktemp -d "${TMPDIR:-/tmp}/feedpost-bench.XXXXXX")
mkdir -p "$WORK/bin"
WORK=$(cd "$WORK" && pwd)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "${SHM:-}" ] || rm -rf "$SHM"
  if [ $KEEP = 0 ]; then rm -rf "$WORK"; else echo "work folder kept: $WORK" >&2; fi
}
trap cleanup EXIT

log "building feedpost and the bench tools into $WORK/bin"
(cd "$ROOT" && go build -o "$WORK/bin/" ./cmd/feedpost ./bench/gen ./bench/feedserver ./bench/imgload ./bench/sitebuild &&
  go test -c -o "$WORK/bin/pipeline.test" ./internal/pipeline/)
B=$WORK/bin

# ---- helpers ---------------------------------------------------------------

# stat3 v1 v2 ...: "median (min–max)" of the numbers, in their own precision.
stat3() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
    if (NR == 1) printf "%s", fmt(m); else printf "%s (%s–%s)", fmt(m), fmt(v[1]), fmt(v[NR]) }
    function fmt(x) { return (x == int(x) || x >= 100) ? sprintf("%.0f", x) : (x >= 10) ? sprintf("%.1f", x) : sprintf("%.2f", x) }'
}
# median v1 v2 ...: the median alone (for ratios).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# timed FILE cmd...: run cmd under /usr/bin/time -v, its stdout to FILE.out,
# the time report to FILE.time. Fails when cmd fails.
timed() {
  local f=$1; shift
  /usr/bin/time -v -o "$f.time" "$@" >"$f.out" 2>"$f.err" || { cat "$f.err" >&2; die "failed: $*"; }
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1.time"; }
cpu() { awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$1.time"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.1f\n", $2 / 1024 }' "$1.time"; }
jnum() { grep -o "\"$2\":[0-9]*" "$1.out" | head -1 | cut -d: -f2; }

# feedserver N: start a feed server for N sources; sets ADDR.
feedserver() {
  local af=$WORK/feedserver-$1.addr
  rm -f "$af"
  "$B/feedserver" -sources "$1" -items $ITEMS -latency $LATENCY -addr-file "$af" -max-time 3h 2>"$WORK/feedserver-$1.log" &
  PIDS+=($!)
  for _ in $(seq 600); do [ -s "$af" ] && break; sleep 0.1; done
  [ -s "$af" ] || die "feed server did not start: $(cat "$WORK/feedserver-$1.log")"
  ADDR=$(cat "$af")
}

# cycle DIR SOURCES: a fresh workload in DIR (Hexo posts + built-in site), a
# full cycle, then the nothing-changed cycle.
cycle() {
  local d=$1
  "$B/gen" -dir "$d" -sources "$2" -server "http://$ADDR"
  timed "$d/full" "$B/feedpost" run -c "$d/feedpost.yaml" --json
  [ "$(jnum "$d/full" posts_written)" = $(($2 * ITEMS)) ] || die "$d: full cycle wrote $(jnum "$d/full" posts_written) posts, want $(($2 * ITEMS))"
  timed "$d/again" "$B/feedpost" run -c "$d/feedpost.yaml" --json
}

# Figures are gathered in these arrays, then printed as one table.
declare -a ROWS

machine() {
  local model
  model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, ${model:-unknown CPU}; $(go version | awk '{print $3}'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}
MACHINE=$(machine)

# ---- 1. pipeline throughput --------------------------------------------------
log "1. pipeline throughput (go test -bench, $RUNS runs, 1 and 2 cores)"
declare -A PIPE_IPS PIPE_MBS PIPE_CPU PIPE_SYS TOK_MBS TOK_IPS
# Two benchmarks: BenchmarkStages is parse → content → Hexo files written
# (the stages the issue names); BenchmarkPipeline is a whole Runner.Run, the
# same plus the store (change detection, dedupe, every item kept).
BENCHES=(Stages Pipeline)
# The posts go to the disk under $WORK (kept until the end: see benchDir in
# internal/pipeline/bench_test.go), and, when /dev/shm is a tmpfs, to memory:
# the same code without this VM's file-creation cost ("tmpfs" rows).
mkdir -p "$WORK/pipe-disk"
PIPE_DIRS=(disk)
SHM=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  SHM=$(mktemp -d /dev/shm/feedpost-bench.XXXXXX)
  PIPE_DIRS+=(tmpfs)
fi
for r in $(seq "$RUNS"); do
  for where in "${PIPE_DIRS[@]}"; do
    dir=$WORK/pipe-disk; [ "$where" = disk ] || dir=$SHM
    (cd "$WORK" && FEEDPOST_BENCH_DIR=$dir "$B/pipeline.test" -test.run '^$' -test.bench '^Benchmark(Stages|Pipeline)$' -test.benchtime $PIPE_N -test.cpu 1,2) >"$WORK/pipe-$where-$r.txt"
  done
  (cd "$WORK" && "$B/pipeline.test" -test.run '^$' -test.bench '^BenchmarkTokenizer$' -test.benchtime $TOK_T -test.cpu 1,2) >"$WORK/tok-$r.txt"
  for c in 1 2; do
    for where in "${PIPE_DIRS[@]}"; do
     for bench in "${BENCHES[@]}"; do
      name=Benchmark$bench; [ $c = 1 ] || name="Benchmark$bench-$c"
      line=$(grep -E "^$name[[:space:]]" "$WORK/pipe-$where-$r.txt") || die "no $name line: $(cat "$WORK/pipe-$where-$r.txt")"
      k=$bench-$where-$c
      PIPE_MBS[$k]+="$(awk '{for (i=1;i<=NF;i++) if ($i=="MB/s") print $(i-1)}' <<<"$line") "
      PIPE_IPS[$k]+="$(awk '{for (i=1;i<=NF;i++) if ($i=="items/s") print $(i-1)}' <<<"$line") "
      PIPE_CPU[$k]+="$(awk '{for (i=1;i<=NF;i++) if ($i=="cpu-µs/item") print $(i-1)}' <<<"$line") "
      PIPE_SYS[$k]+="$(awk '{for (i=1;i<=NF;i++) if ($i=="sys-µs/item") print $(i-1)}' <<<"$line") "
     done
    done
    name=BenchmarkTokenizer; [ $c = 1 ] || name="BenchmarkTokenizer-$c"
    line=$(grep -E "^$name[[:space:]]" "$WORK/tok-$r.txt") || die "no $name line: $(cat "$WORK/tok-$r.txt")"
    TOK_MBS[$c]+="$(awk '{for (i=1;i<=NF;i++) if ($i=="MB/s") print $(i-1)}' <<<"$line") "
    TOK_IPS[$c]+="$(awk '{for (i=1;i<=NF;i++) if ($i=="items/s") print $(i-1)}' <<<"$line") "
  done
done
for c in 1 2; do
  # shellcheck disable=SC2086
  ROWS+=("| 1. pipeline, $c core$([ $c = 1 ] || echo s) | x/net/html tokenizer MB/s (same bodies) | $(stat3 ${TOK_MBS[$c]}) | |")
  for bench in "${BENCHES[@]}"; do
   for where in "${PIPE_DIRS[@]}"; do
    k=$bench-$where-$c
    what="parse → content → Hexo write"; [ "$bench" = Stages ] || what="whole run, with the store"
    # shellcheck disable=SC2086
    ROWS+=("| | $what, posts on $where: items/s; MB/s (feed bytes) | $(stat3 ${PIPE_IPS[$k]}); $(stat3 ${PIPE_MBS[$k]}) | $(if [ $c = 2 ]; then echo '≥ 4,000 items/s'; fi) |")
    # shellcheck disable=SC2086
    ROWS+=("| | … CPU µs per item (user+sys); of which kernel | $(stat3 ${PIPE_CPU[$k]}); $(stat3 ${PIPE_SYS[$k]}) | |")
    # shellcheck disable=SC2086
    ROWS+=("| | … ÷ tokenizer (MB/s; items/s) | $(div "$(median ${PIPE_MBS[$k]})" "$(median ${TOK_MBS[$c]})"); $(div "$(median ${PIPE_IPS[$k]})" "$(median ${TOK_IPS[$c]})") | $(if [ $c = 2 ]; then echo '≥ 0.14'; fi) |")
   done
  done
done

# ---- 2–3. full cycle, then nothing changed ----------------------------------
log "2–3. full cycle over $SOURCES sources × $ITEMS items, then the all-304 cycle ($RUNS runs)"
feedserver $SOURCES
W=() C=() R=() W2=() C2=() F2=() P2=()
for r in $(seq "$RUNS"); do
  d=$WORK/cycle-$SOURCES-$r
  cycle "$d" $SOURCES
  W+=("$(wall "$d/full")") C+=("$(cpu "$d/full")") R+=("$(rss "$d/full")")
  W2+=("$(wall "$d/again")") C2+=("$(cpu "$d/again")")
  F2+=("$(($(jnum "$d/again" posts_written) + $(jnum "$d/again" pages_written)))")
  P2+=("$(jnum "$d/again" posts_written)")
done
ROWS+=("| 2. full cycle, $SOURCES × $ITEMS over loopback | wall s | $(stat3 "${W[@]}") | ≤ 15 |")
ROWS+=("| | CPU s (user+sys) | $(stat3 "${C[@]}") | |")
ROWS+=("| | peak RSS MB | $(stat3 "${R[@]}") | ≤ 200 |")
ROWS+=("| 3. same cycle, nothing changed (304) | wall s | $(stat3 "${W2[@]}") | ≤ 1.5 |")
ROWS+=("| | CPU s (user+sys) | $(stat3 "${C2[@]}") | |")
ROWS+=("| | files written (posts + pages); posts | $(stat3 "${F2[@]}"); $(stat3 "${P2[@]}") | 0 |")
R500=$(median "${R[@]}")

# ---- 4. output stage ---------------------------------------------------------
NPOSTS=$((POST_SOURCES * ITEMS))
log "4. output stage for $NPOSTS posts: feedpost build / site stage / hugo / hexo ($RUNS runs)"
[ "$POST_SOURCES" = "$SOURCES" ] || feedserver $POST_SOURCES
P=$WORK/posts
"$B/gen" -dir "$P" -sources $POST_SOURCES -server "http://$ADDR" -hexo hexo -hugo hugo -site ""
timed "$P/prep" "$B/feedpost" run -c "$P/feedpost.yaml" --json
FB=() FBR=() SB=() SBW=() SBR=() HU=() HUR=() HX=() HXR=()
HUGO=$(command -v hugo || true)
HEXO_SRC=$ROOT/testdata/hexo-site
HEXO_OK=0
if ! command -v node >/dev/null; then
  echo "hexo: skipped, node is not installed" >&2
elif [ ! -x "$HEXO_SRC/node_modules/.bin/hexo" ]; then
  echo "hexo: skipped, testdata/hexo-site has no node_modules (run with --install, or npm install there)" >&2
else
  HEXO_OK=1
  X=$WORK/hexo-site
  mkdir -p "$X/source/_posts"
  cp "$HEXO_SRC/_config.yml" "$HEXO_SRC/package.json" "$X/"
  ln -s "$HEXO_SRC/node_modules" "$X/node_modules"
  cp "$P"/hexo/*.md "$X/source/_posts/"
fi
[ -n "$HUGO" ] || echo "hugo: skipped, not installed (apt-get install hugo, or --install)" >&2
if [ -n "$HUGO" ]; then
  H=$WORK/hugo-site
  mkdir -p "$H/content"
  cp -r "$ROOT/bench/hugo-site/." "$H/"
  ln -s "$P/hugo" "$H/content/posts"
fi
for r in $(seq "$RUNS"); do
  "$B/gen" -dir "$P" -sources $POST_SOURCES -server "http://$ADDR" -config "site-$r.yaml" -hexo "" -hugo "" -site "site-$r"
  timed "$P/build-$r" "$B/feedpost" build -c "$P/site-$r.yaml" --json
  FB+=("$(wall "$P/build-$r")") FBR+=("$(rss "$P/build-$r")")
  timed "$P/stage-$r" "$B/sitebuild" -c "$P/site-$r.yaml" -out "$P/stage-$r"
  SB+=("$(grep -o 'build_s=[0-9.]*' "$P/stage-$r.out" | cut -d= -f2)") SBW+=("$(wall "$P/stage-$r")") SBR+=("$(rss "$P/stage-$r")")
  if [ -n "$HUGO" ]; then
    HUGO_CACHEDIR=$WORK/hugo-cache-$r timed "$P/hugo-$r" "$HUGO" --quiet -s "$H" -d "$H/public-$r"
    HU+=("$(wall "$P/hugo-$r")") HUR+=("$(rss "$P/hugo-$r")")
  fi
  if [ $HEXO_OK = 1 ]; then
    # Moved aside, not deleted: on ext4 without a journal, thousands of
    # freshly deleted inodes slow down every file created after them.
    [ ! -e "$X/public" ] || mv "$X/public" "$X/public-old-$r"
    rm -f "$X/db.json"
    (cd "$X" && NODE_OPTIONS=--max-old-space-size=8192 timed "$P/hexo-$r" node_modules/.bin/hexo generate --silent)
    HX+=("$(wall "$P/hexo-$r")") HXR+=("$(rss "$P/hexo-$r")")
  fi
done
PAGES=$(jnum "$P/build-1" pages_written)
ROWS+=("| 4. site for $NPOSTS posts: \`feedpost build\` (site only) | wall s; peak RSS MB | $(stat3 "${FB[@]}"); $(stat3 "${FBR[@]}") | RSS ≤ 300 |")
ROWS+=("| | site stage alone (bench/sitebuild: the pipeline's BuildSite from the store): build s; process wall s; peak RSS MB | $(stat3 "${SB[@]}"); $(stat3 "${SBW[@]}"); $(stat3 "${SBR[@]}") | |")
ROWS+=("| | pages written | $PAGES | |")
FBM=$(median "${FB[@]}")
if [ -n "$HUGO" ]; then
  ROWS+=("| | \`hugo\` ($($HUGO version | awk '{print $2}')) wall s; peak RSS MB | $(stat3 "${HU[@]}"); $(stat3 "${HUR[@]}") | |")
  ROWS+=("| | hugo ÷ feedpost build (wall) | $(div "$(median "${HU[@]}")" "$FBM") | ≥ 2 |")
else
  ROWS+=("| | hugo | skipped: not installed | |")
fi
if [ $HEXO_OK = 1 ]; then
  ROWS+=("| | \`hexo generate\` (Hexo $(cd "$X" && node -p 'require("hexo/package.json").version')) wall s; peak RSS MB | $(stat3 "${HX[@]}"); $(stat3 "${HXR[@]}") | |")
  ROWS+=("| | hexo ÷ feedpost build (wall) | $(div "$(median "${HX[@]}")" "$FBM") | ≥ 20 |")
else
  ROWS+=("| | hexo | skipped: see above | |")
fi

# ---- 5. image proxy -----------------------------------------------------------
log "5. image proxy: cached hits against http.FileServer, misses against a 20 ms upstream ($RUNS rounds of $LOAD_T)"
S=$WORK/imgload
mkdir -p "$S"
# imgload starts `feedpost serve` (builtin proxy) and two http.FileServer processes (bare,
# and behind serve's timeouts) on the same 16 JPEG files, and loads them with the same
# client, round after round.
"$B/imgload" -feedpost "$B/feedpost" -c 64 -d $LOAD_T -runs "$RUNS" -latency 20ms >"$S/out.txt" 2>"$S/err.txt" ||
  die "imgload failed: $(cat "$S/err.txt")"
cat "$S/out.txt" >&2
H=$(grep '^hits:' "$S/out.txt") M=$(grep '^misses:' "$S/out.txt")
f() { printf '%s\n' "$1" | grep -o "$2=[0-9.]*" | cut -d= -f2; }
ROWS+=("| 5. image proxy, cached hits, 64 connections | requests/s; p99 ms; server CPU µs/request | $(f "$H" proxy_rps); $(f "$H" proxy_p99_ms); $(f "$H" proxy_cpu_us) | |")
ROWS+=("| | http.FileServer, same files and client: requests/s; p99 ms; CPU µs/request | $(f "$H" fileserver_rps); $(f "$H" fileserver_p99_ms); $(f "$H" fileserver_cpu_us) | |")
ROWS+=("| | http.FileServer behind serve's timeouts: requests/s; p99 ms; CPU µs/request | $(f "$H" limits_rps); $(f "$H" limits_p99_ms); $(f "$H" limits_cpu_us) | |")
ROWS+=("| | serve's own site handler on the same files: requests/s; p99 ms; CPU µs/request | $(f "$H" site_rps); $(f "$H" site_p99_ms); $(f "$H" site_cpu_us) | |")
ROWS+=("| | hits ÷ FileServer (median of the rounds' ratios): bare; with the same timeouts; hits ÷ serve's site files | $(f "$H" ratio); $(f "$H" ratio_limits); $(f "$H" ratio_site) | ≥ 1.0 |")
ROWS+=("| | misses/s against a 20 ms upstream; p99 ms | $(f "$M" misses_per_s); $(f "$M" p99_ms) | |")

# ---- 6. memory flatness ---------------------------------------------------------
if [ "$MEM_SOURCES" -gt 0 ]; then
  log "6. memory: a $MEM_SOURCES-source cycle against the $SOURCES-source one ($RUNS runs)"
  feedserver $MEM_SOURCES
  M=() MW=()
  for r in $(seq "$RUNS"); do
    d=$WORK/cycle-$MEM_SOURCES-$r
    "$B/gen" -dir "$d" -sources $MEM_SOURCES -server "http://$ADDR"
    timed "$d/full" "$B/feedpost" run -c "$d/feedpost.yaml" --json
    M+=("$(rss "$d/full")") MW+=("$(wall "$d/full")")
  done
  ROWS+=("| 6. memory, $MEM_SOURCES sources × $ITEMS | peak RSS MB; wall s | $(stat3 "${M[@]}"); $(stat3 "${MW[@]}") | |")
  ROWS+=("| | RSS ratio $MEM_SOURCES ÷ $SOURCES sources | $(div "$(median "${M[@]}")" "$R500") | ≤ 1.5 |")
fi

# ---- table -----------------------------------------------------------------------
echo
echo "feedpost benchmarks — $MACHINE$(if [ $QUICK = 1 ]; then echo '; QUICK mode (smaller sizes)'; fi)"
echo "Median of $RUNS runs (min–max). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| figure | measure | result | target |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
