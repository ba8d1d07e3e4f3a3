#!/usr/bin/env bash
# Make sure the servers the test suite talks to are up: Redis on 127.0.0.1:6379 and
# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`), installing them from
# Debian's packages when missing. Idempotent; prints one line per thing it had to do
# and nothing else when all is well; exits non-zero with a reason when it cannot.
set -euo pipefail

REDIS_HOST=127.0.0.1
REDIS_PORT=6379
PG_HOST=127.0.0.1
PG_PORT=5432
PG_DATABASE=test
WAIT_SECONDS=${ENSURE_SERVICES_WAIT_SECONDS:-20}

LOG=$(mktemp "${TMPDIR:-/tmp}/ensure-test-services.XXXXXX.log")
trap 'rm -f "$LOG"' EXIT
APT_UPDATED=0

say() { echo "ensure-test-services: $*"; }

die() {
    echo "ensure-test-services: ERROR: $*" >&2
    if [[ -s "$LOG" ]]; then
        echo "--- last output ---" >&2
        tail -n 30 "$LOG" >&2
    fi
    exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# Run a command as root: directly when we are root, else through password-less sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif have sudo && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

# Run a command as the postgres system user (peer auth on the socket works for it).
as_postgres() {
    if [[ $(id -un) == postgres ]]; then
        "$@"
    elif [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    elif have sudo && sudo -n true 2>/dev/null; then
        sudo -n -u postgres "$@"
    else
        return 1
    fi
}

apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update >>"$LOG" 2>&1 \
            || die "apt-get update failed (are we root?)"
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        >>"$LOG" 2>&1 || die "apt-get install $* failed"
    say "installed $*"
}

# Poll a command until it succeeds or WAIT_SECONDS pass.
wait_for() {
    local deadline=$((SECONDS + WAIT_SECONDS))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# ---------------------------------------------------------------- Redis

redis_answers() {
    have redis-cli || return 1
    [[ $(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

ensure_redis() {
    redis_answers && return 0
    if ! have redis-server || ! have redis-cli; then
        apt_install redis-server
        # The package's own start (where an init system lets it) may have done the job.
        redis_answers && return 0
    fi
    local dir=/var/lib/redis logdir=/var/log/redis
    if [[ $EUID -ne 0 ]]; then
        dir="${TMPDIR:-/tmp}/wix-meetings-redis-$(id -u)"
        logdir="$dir"
    fi
    mkdir -p "$dir" "$logdir" || die "cannot create $dir or $logdir for Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir "$dir" --logfile "$logdir/ci.log" >>"$LOG" 2>&1 \
        || die "redis-server failed to start (see $logdir/ci.log)"
    wait_for redis_answers \
        || die "Redis did not answer on $REDIS_HOST:$REDIS_PORT within ${WAIT_SECONDS}s (see $logdir/ci.log)"
    say "started Redis on $REDIS_HOST:$REDIS_PORT"
}

# ---------------------------------------------------------------- PostgreSQL

pg_ready() { timeout 5 pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

pg_sql() {
    PGCONNECT_TIMEOUT=5 psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -X -q -tA "$@"
}

pg_server_binaries() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

pg_version() {
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | head -1 || true)
    if [[ -z $version ]]; then
        version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1 || true)
    fi
    [[ -n $version ]] || die "no PostgreSQL version found under /etc/postgresql or /usr/lib/postgresql"
    echo "$version"
}

start_postgres() {
    local version
    version=$(pg_version)
    if [[ ! -d /etc/postgresql/$version/main ]]; then
        as_root pg_createcluster "$version" main >>"$LOG" 2>&1 \
            || die "pg_createcluster $version main failed"
        say "created PostgreSQL cluster $version/main"
    fi
    # Exits non-zero when already running (or starting); readiness is what counts.
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >>"$LOG" 2>&1 \
        || as_postgres pg_ctlcluster "$version" main start >>"$LOG" 2>&1 || true
    wait_for pg_ready \
        || die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within ${WAIT_SECONDS}s (see /var/log/postgresql/)"
    say "started PostgreSQL $version on $PG_HOST:$PG_PORT"
}

trust_local_connections() {
    pg_sql -d postgres -c 'select 1' >/dev/null 2>&1 && return 0
    local version hba
    version=$(pg_version)
    hba=$(as_postgres psql -X -tAc 'show hba_file' 2>>"$LOG" || true)
    [[ -n $hba ]] || hba=/etc/postgresql/$version/main/pg_hba.conf
    [[ -f $hba ]] || die "cannot find pg_hba.conf to set trust auth (tried $hba)"
    [[ -f $hba.orig ]] || as_root cp "$hba" "$hba.orig" || die "cannot back up $hba"
    as_root tee "$hba" >/dev/null <<'EOF' || die "cannot write $hba"
# Written by scripts/ensure-test-services.sh: test machine, trust local connections.
local   all all              trust
host    all all 127.0.0.1/32 trust
host    all all ::1/128      trust
EOF
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload >>"$LOG" 2>&1 \
        || die "reloading PostgreSQL $version/main after editing $hba failed"
    wait_for pg_sql -d postgres -c 'select 1' \
        || die "postgres@$PG_HOST:$PG_PORT still refuses a password-less login after setting trust in $hba"
    say "set trust auth for local connections in $hba"
}

ensure_postgres() {
    if ! have pg_ctlcluster || ! have psql || ! have pg_isready || ! pg_server_binaries; then
        apt_install postgresql
    fi
    pg_ready || start_postgres
    trust_local_connections
    if [[ -z $(pg_sql -d postgres -c "select 1 from pg_database where datname = '$PG_DATABASE'") ]]; then
        PGCONNECT_TIMEOUT=5 createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres -w "$PG_DATABASE" \
            >>"$LOG" 2>&1 || die "createdb $PG_DATABASE failed"
        say "created database $PG_DATABASE"
    fi
    pg_server_binaries || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
}

ensure_redis
ensure_postgres
