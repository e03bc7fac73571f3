#!/usr/bin/env bash
# bench/scaleout.sh — feedpost on one PostgreSQL store with several processes
# (issue 16). See bench/README.md.
#
# Usage: bench/scaleout.sh [--sources N] [--items N] [--latency D] [--workers "1 2 4"]
#                          [--hosts N] [--run-sources N (0: skip)] [--builder-after] [--keep] [--work DIR]
#
# --builder-after starts the builder only once every source is fetched, as
# if it ran on a machine of its own: on a 2-core machine the builder's
# writing competes with the fetch workers for the same cores.
#
# What it measures:
#   1. A cycle of --sources (2,000) feeds × --items (20) items, every response
#      answered after --latency (200 ms), the feeds spread over --hosts (50)
#      loopback addresses, fetched by 1, 2 and 4 `feedpost serve --role fetch`
#      processes with one `serve --role build` beside them, each on a fresh
#      schema of one PostgreSQL server. Figures: the time until every source's
#      fetch is committed ("fetched"), how busy the machine's CPUs were until
#      then (all processes: feedpost, PostgreSQL, the feed server), the time
#      until the builder has written
#      every post and the site ("built"), and the most PostgreSQL connections
#      each process held (pg_stat_activity, sampled every 0.2 s).
#   2. A whole `feedpost run` (fetch, Hexo posts, site) in one process of
#      --run-sources (500) feeds × 20 items at 5 ms, on a SQLite store and
#      on PostgreSQL: wall and CPU time.
#
# PostgreSQL: $FEEDPOST_BENCH_POSTGRES (a server URL), else a throwaway
# cluster started here with the Debian package's initdb/pg_ctl (as the
# postgres user when run as root) and stopped on exit. Needs psql, Go and
# /usr/bin/time. Only loopback addresses are used.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="/usr/local/go/bin:$PATH"
SOURCES=2000 ITEMS=20 LATENCY=200ms WORKERS="1 2 4" HOSTS=50 RUN_SOURCES=500 KEEP=0 WORK="" BUILDER_AFTER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sources) SOURCES=$2; shift ;;
    --items) ITEMS=$2; shift ;;
    --latency) LATENCY=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --hosts) HOSTS=$2; shift ;;
    --run-sources) RUN_SOURCES=$2; shift ;;
    --keep) KEEP=1 ;;
    --builder-after) BUILDER_AFTER=1 ;;
    --work) WORK=$2; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "scaleout.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '\n== %s\n' "$*" >&2; }
die() { echo "scaleout.sh: $*" >&2; exit 1; }
command -v psql >/dev/null || die "psql is missing (Debian: postgresql-client)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian: time)"

[ -n "$WORK" ] || WORK=$(mktemp -d "${TMPDIR:-/tmp}/feedpost-scaleout.XXXXXX")
mkdir -p "$WORK/bin"
PIDS=()
PGDIR=""
cleanup() {
  if [ -n "${PSQL_PID:-}" ]; then exec {PSQL[1]}>&-; kill "$PSQL_PID" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$PGDIR" ]; then as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; fi
  [ $KEEP = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -n "${FEEDPOST_BENCH_POSTGRES:-}" ]; then
  PG=$FEEDPOST_BENCH_POSTGRES
else
  log "starting a throwaway PostgreSQL cluster"
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$PGBIN" ] || die "no PostgreSQL server (Debian: postgresql), and no \$FEEDPOST_BENCH_POSTGRES"
  PGDIR=$(mktemp -d /tmp/feedpost-bench-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
  port=$(( 20000 + RANDOM % 20000 ))
  as_postgres "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >/dev/null
  as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-p $port -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  PG="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
fi
pg() { psql "$PG" -XAtq -c "$1"; }

log "building"
(cd "$ROOT" && go build -o "$WORK/bin/" ./cmd/feedpost ./bench/gen ./bench/feedserver)
B=$WORK/bin

# feedserver SOURCES ITEMS LATENCY HOSTS: sets ADDR.
feedserver() {
  local af=$WORK/feedserver-$1-$4.addr
  "$B/feedserver" -sources "$1" -items "$2" -latency "$3" -hosts "$4" -addr-file "$af" -max-time 3h 2>"$WORK/feedserver-$1.log" &
  PIDS+=($!)
  for _ in $(seq 600); do [ -s "$af" ] && break; sleep 0.1; done
  [ -s "$af" ] || die "feed server did not start: $(cat "$WORK/feedserver-$1.log")"
  ADDR=$(cat "$af")
}

# schema NAME: a fresh schema; sets URL (with application_name left to add).
schema() {
  pg "DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1" >/dev/null
  case "$PG" in *\?*) URL="$PG&search_path=$1" ;; *) URL="$PG?search_path=$1" ;; esac
}

# The clock and the polling below fork nothing: a psql started per query
# costs ~30 ms of CPU, which polled five times a second took an eighth of a
# 2-core machine away from the processes measured.
now() { NOW=${EPOCHREALTIME//[.,]/}; } # microseconds, in $NOW
# cpu_ticks: busy and total jiffies of the whole machine (/proc/stat).
cpu_ticks() { local _ u n s i w q sq rest; read -r _ u n s i w q sq rest < /proc/stat; BUSY=$((u + n + s + q + sq)); TOTAL=$((BUSY + i + w)); }
# secs FROM TO (microseconds): seconds with one decimal, in $SECS.
secs() { local d=$(($2 - $1)); printf -v SECS '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }
# q SQL: runs SQL on one long-lived psql; the rows, one per line, in $ROWS.
q() {
  printf '%s;\n\\echo __end__\n' "$1" >&"${PSQL[1]}"
  ROWS="" ; local line
  while IFS= read -r line <&"${PSQL[0]}"; do [ "$line" = __end__ ] && break; ROWS+="$line"$'\n'; done
}

coproc PSQL { psql "$PG" -XAtq 2>/dev/null; }
log "feed server: $SOURCES feeds × $ITEMS items, $LATENCY latency, on $HOSTS loopback hosts"
feedserver "$SOURCES" "$ITEMS" "$LATENCY" "$HOSTS"
CYCLE_ROWS=()
for W in $WORKERS; do
  name=scale_w$W
  schema $name
  dir=$WORK/w$W
  "$B/gen" -dir "$dir" -sources "$SOURCES" -server "http://$ADDR" -hosts "$HOSTS" -store "$URL" -hexo hexo/source/_posts -site public
  procs=()
  log "$W fetch worker(s) + 1 builder"
  now; t0=$NOW
  cpu_ticks; busy0=$BUSY total0=$TOTAL
  start_builder() {
    FEEDPOST_STORE="$URL&application_name=build" "$B/feedpost" serve -q -c "$dir/feedpost.yaml" --role build --addr 127.0.0.1:0 2>"$dir/build.log" &
    builder=$!; procs+=($!); PIDS+=($!)
  }
  [ $BUILDER_AFTER = 1 ] || start_builder
  for i in $(seq "$W"); do
    FEEDPOST_STORE="$URL&application_name=fetch$i" "$B/feedpost" serve -q -c "$dir/feedpost.yaml" --role fetch --addr 127.0.0.1:0 2>"$dir/fetch$i.log" &
    procs+=($!); PIDS+=($!)
  done
  fetched="" built="" maxconn=""
  declare -A conns=()
  while :; do
    q "SELECT COUNT(*) FROM $name.sources WHERE committed_at IS NOT NULL"; c=${ROWS%$'\n'}
    now
    if [ -z "$fetched" ] && [ "${c:-0}" -ge "$SOURCES" ]; then
      secs "$t0" "$NOW"; fetched=$SECS
      cpu_ticks
      busy="$((100 * (BUSY - busy0) / (TOTAL - total0)))%"
      [ $BUILDER_AFTER = 0 ] || start_builder
    fi
    q "SELECT application_name, COUNT(*) FROM pg_stat_activity WHERE application_name IN ('build','fetch1','fetch2','fetch3','fetch4','fetch5','fetch6','fetch7','fetch8') GROUP BY 1"
    while IFS='|' read -r app n; do
      [ -n "$app" ] || continue
      [ "${conns[$app]:-0}" -ge "$n" ] || conns[$app]=$n
    done <<< "$ROWS"
    if [ -n "$fetched" ]; then
      q "SELECT (SELECT COUNT(*) FROM $name.pending) = 0 AND
        (SELECT SUM(value) FROM $name.counters WHERE name = 'generation' OR name LIKE 'generation.%')::text =
        COALESCE((SELECT (value::json->>'generation') FROM $name.kv WHERE name = 'build_state'), '')"
      if [ "${ROWS%$'\n'}" = t ]; then now; secs "$t0" "$NOW"; built=$SECS; break; fi
    fi
    [ $((NOW - t0)) -lt 1800000000 ] || die "the cycle with $W workers did not finish in 30 minutes"
    sleep 0.2
  done
  # CPU seconds of each feedpost process, and of all of PostgreSQL.
  cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null; }
  cpus="$(cpu_of "$builder")" # the builder first, then each fetch worker
  for p in "${procs[@]}"; do [ "$p" = "$builder" ] || cpus+="+$(cpu_of "$p")"; done
  pgcpu=$(ps -u postgres -o cputimes= 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }')
  for p in "${procs[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${procs[@]}"; do wait "$p" 2>/dev/null || true; done
  maxconn=""
  for app in $(printf '%s\n' "${!conns[@]}" | sort); do maxconn+="$app ${conns[$app]}, "; done
  posts=$(find "$dir/hexo/source/_posts" -name '*.md' | wc -l)
  CYCLE_ROWS+=("| $W | $fetched s | $busy | $built s | $cpus s; ${pgcpu:-?} s | $posts | ${maxconn%, } |")
  unset conns
done

RUN_ROWS=()
BACKENDS="sqlite postgres"
if [ "$RUN_SOURCES" -gt 0 ]; then
  log "one process, a whole run: SQLite vs PostgreSQL ($RUN_SOURCES × 20 items, 5 ms)"
  feedserver "$RUN_SOURCES" 20 5ms 1
else
  BACKENDS="" # --run-sources 0: the cycle only
fi
for backend in $BACKENDS; do
  dir=$WORK/run-$backend
  store=feedpost.db
  if [ $backend = postgres ]; then schema run_pg; store="$URL&application_name=run"; fi
  "$B/gen" -dir "$dir" -sources "$RUN_SOURCES" -server "http://$ADDR" -store "$store" -hexo hexo/source/_posts -site public
  /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$B/feedpost" run -q -c "$dir/feedpost.yaml" 2>"$dir/run.log" || die "run on $backend failed: $(tail -5 "$dir/run.log")"
  read -r wall user sys rss < "$dir/time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  RUN_ROWS+=("| $backend | $wall s | $cpu s | $((rss / 1024)) MB |")
done

cat <<EOF

## Scale-out ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores)

A cycle of $SOURCES sources × $ITEMS items, $LATENCY per response, $HOSTS hosts, one builder$(if [ $BUILDER_AFTER = 1 ]; then echo ' started once every source was fetched'; fi):

| fetch workers | all fetched | machine CPU busy until then | all built | CPU: builder+fetchers; all of PostgreSQL (cumulative) | post files | most PostgreSQL connections per process |
|---|---|---|---|---|---|---|
$(printf '%s\n' "${CYCLE_ROWS[@]}")
EOF
[ ${#RUN_ROWS[@]} -gt 0 ] || exit 0
cat <<EOF

A whole \`feedpost run\` in one process ($RUN_SOURCES × 20 items, 5 ms):

| store | wall | CPU | peak RSS |
|---|---|---|---|
$(printf '%s\n' "${RUN_ROWS[@]}")
EOF
