#!/usr/bin/env bash
# Ingest benchmark (issue 3): POST /webhooks/wix with distinct signed events, on loopback, bounded.
# For each gunicorn worker count: verify-only baseline, product on PostgreSQL + Redis, product on
# the embedded SQLite defaults; each one fresh server: warm-up, fixed 200/s (open loop), then max
# throughput (wrk -t2 -c8). Checks store count vs 200 answers and how many reached `queued`.
# Writes bench/results/ingest-<date>.md. See bench/README.md. No Celery worker is started.
#
# Knobs (env): WORKERS_LIST="2 4"  TARGETS="verify pg sqlite"  MAX_SECONDS=20  RATE=200
#              RATE_SECONDS=10  PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
WM=$ROOT/.venv/bin/wix-meetings
WORKERS_LIST=${WORKERS_LIST:-"2 4"}
TARGETS=${TARGETS:-"verify pg sqlite"}
MAX_SECONDS=${MAX_SECONDS:-20}
RATE=${RATE:-200}
RATE_SECONDS=${RATE_SECONDS:-10}
WARM_SECONDS=${WARM_SECONDS:-2}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432}
PG_DB=${PG_DB:-bench_ingest}
REDIS_BASE=${REDIS_BASE:-redis://127.0.0.1:6379}
SERVER=gunicorn
STAMP=$(date +%Y-%m-%dT%H%M)
OUT=${OUT:-$ROOT/bench/results/ingest-$STAMP.md}
WORK=$(mktemp -d /tmp/bench-ingest.XXXXXX)
RESULTS=$WORK/results.jsonl
SERVER_PID=""
REDIS_DB=""
STARTED=$(date +%s)

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }

log() { printf '[%3ds] %s\n' $(($(date +%s) - STARTED)) "$*" >&2; }

stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  stop_server
  if [[ -n $REDIS_DB ]]; then redis-cli -u "$REDIS_BASE/$REDIS_DB" FLUSHDB >/dev/null 2>&1 || true; fi
  psql "$PG_ADMIN_URL/postgres" -qXc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A Redis logical db no test process is using: the same flock the test fixtures take
# (tests/fixtures/servers.py), held until this script exits. Tried from 15 down.
lock_redis_db() {
  local dir=/tmp/wix-meetings-redis-locks hp
  hp=$(echo "${REDIS_BASE#*://}" | sed 's/[^A-Za-z0-9_]/_/g')
  mkdir -p "$dir"
  for n in 15 14 13 12 11 10; do
    exec 9>"$dir/$hp-db$n.lock"
    if flock -n 9; then REDIS_DB=$n; return 0; fi
    exec 9>&-
  done
  echo "no free Redis db (15..10 are leased)" >&2; exit 2
}

wait_ready() {  # any HTTP answer on the port
  local port=$1
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died; log:" >&2; tail -20 "$2" >&2; exit 1; }
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true) != 000 ]] && return 0
    sleep 0.1
  done
  echo "server not answering on $port" >&2; exit 1
}

# ---------------------------------------------------------------- tokens
MAX_TOKENS=$((MAX_SECONDS * 5500))  # per wrk run, both threads; verify-only may wrap (flagged)
WARM_TOKENS=6000
PACE_TOKENS=$((RATE * RATE_SECONDS + 100))
log "signing $((MAX_TOKENS + WARM_TOKENS + PACE_TOKENS)) distinct tokens"
"$PY" bench/gen_tokens.py "$WORK" --count $((MAX_TOKENS + WARM_TOKENS + PACE_TOKENS)) --split 1 >&2
awk -v w=$WARM_TOKENS -v p=$PACE_TOKENS -v d="$WORK" '
  NR <= w        { print > (d "/warm." (NR % 2) ".txt"); next }
  NR <= w + p    { print > (d "/pace.txt"); next }
                 { print > (d "/max." (NR % 2) ".txt") }' "$WORK/tokens.txt"
rm -f "$WORK/tokens.txt" "$WORK/tokens.0.txt"

lock_redis_db
log "PostgreSQL database $PG_DB, Redis db $REDIS_DB"

# ---------------------------------------------------------------- one target
run_target() {
  local target=$1 workers=$2 port dir logf
  port=$(free_port)
  dir=$WORK/$target-$workers
  logf=$dir/server.log
  mkdir -p "$dir"
  local -a envv=(env -i "PATH=$PATH" "HOME=$HOME" "WIX_PUBLIC_KEY=@$WORK/public.pem" LOG_FORMAT=json)
  case $target in
    pg)
      psql "$PG_ADMIN_URL/postgres" -qXc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
      psql "$PG_ADMIN_URL/postgres" -qXc "CREATE DATABASE $PG_DB" >/dev/null
      redis-cli -u "$REDIS_BASE/$REDIS_DB" FLUSHDB >/dev/null
      envv+=("DATABASE_URL=$PG_ADMIN_URL/$PG_DB" "CELERY_BROKER_URL=$REDIS_BASE/$REDIS_DB") ;;
    sqlite) ;;  # the embedded defaults: var/wix-meetings.sqlite3 and the sqla+sqlite broker, under $dir
  esac
  if [[ $target != verify ]]; then
    (cd "$dir" && "${envv[@]}" "$WM" db upgrade >/dev/null)
  fi
  log "$target, $workers workers: start on :$port"
  if [[ $target == verify ]]; then
    (cd "$dir" && exec "${envv[@]}" "$PY" "$ROOT/bench/verify_only.py" --port "$port" --workers "$workers" \
      --public-key "$WORK/public.pem" >"$logf" 2>&1) &
  else
    (cd "$dir" && exec "${envv[@]}" "$WM" serve --port "$port" --workers "$workers" >"$logf" 2>&1) &
  fi
  SERVER_PID=$!
  wait_ready "$port" "$logf"
  counts() {
    if [[ $target == verify ]]; then echo 'COUNTSJSON null'; return; fi
    (cd "$dir" && "${envv[@]}" "$PY" "$ROOT/bench/store_counts.py" --settle 6)
  }
  wrk -t2 -c8 -d"${WARM_SECONDS}s" -s bench/tokens.lua "http://127.0.0.1:$port" -- "$WORK/warm" >/dev/null
  local c0 c1 c2 pace maxr load0 load1 load2
  c0=$(counts | grep COUNTSJSON)
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  log "$target, $workers workers: $RATE/s for ${RATE_SECONDS}s"
  pace=$("$PY" bench/pace.py --port "$port" --rate "$RATE" --duration "$RATE_SECONDS" --tokens "$WORK/pace.txt" \
    | grep PACEJSON)
  c1=$(counts | grep COUNTSJSON)
  load1=$(cut -d' ' -f1-3 /proc/loadavg)
  log "$target, $workers workers: max throughput ${MAX_SECONDS}s (wrk -t2 -c8)"
  maxr=$(wrk -t2 -c8 -d"${MAX_SECONDS}s" -s bench/tokens.lua "http://127.0.0.1:$port" -- "$WORK/max" \
    | grep WRKJSON)
  c2=$(counts | grep COUNTSJSON)
  load2=$(cut -d' ' -f1-3 /proc/loadavg)
  stop_server
  printf '{"target": "%s", "workers": %d, "server": "%s", "c0": %s, "pace": %s, "c1": %s, "max": %s, "c2": %s, "load": ["%s", "%s", "%s"]}\n' \
    "$target" "$workers" "$SERVER" "${c0#COUNTSJSON }" "${pace#PACEJSON }" "${c1#COUNTSJSON }" \
    "${maxr#WRKJSON }" "${c2#COUNTSJSON }" "$load0" "$load1" "$load2" >>"$RESULTS"
  if [[ $target == pg ]]; then
    log "$target, $workers workers: broker holds $(redis-cli -u "$REDIS_BASE/$REDIS_DB" LLEN wix-meetings) messages; flushing"
    redis-cli -u "$REDIS_BASE/$REDIS_DB" FLUSHDB >/dev/null
  fi
  tail -1 "$RESULTS" >&2
}

for workers in $WORKERS_LIST; do
  for target in $TARGETS; do
    run_target "$target" "$workers"
  done
done

mkdir -p "$(dirname "$OUT")"
"$PY" bench/report.py "$RESULTS" --out "$OUT" --seconds $(($(date +%s) - STARTED)) \
  --max-seconds "$MAX_SECONDS" --rate "$RATE" --rate-seconds "$RATE_SECONDS"
cp "$RESULTS" "${OUT%.md}.raw"
log "wrote $OUT"
