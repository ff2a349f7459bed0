#!/usr/bin/env bash
# The whole test suite on this machine, from nothing: finds (or, as root, installs from Debian's packages) every
# server and tool the tests use, starts the servers that are down on loopback, waits until each answers, runs
# `cargo test --workspace` and ends with one line: `N passed, N failed`. A second run finds everything in place
# and goes straight to the tests.
#
# Servers: PostgreSQL on 127.0.0.1:5432 (user postgres, no password), Redis on 6379, MariaDB on 3306 (root, no
# password, and its unix socket). A server that already answers is used as it is. One that is down is started:
# the machine's own (a Debian cluster, the packaged MariaDB) when it then accepts the tests' credentials,
# otherwise a throwaway one whose data lives under target/test-servers/ (initdb/pg_ctl of the installed
# PostgreSQL, mariadb-install-db/mariadbd, redis-server), stopped by `ops/test.sh --stop`.
#
# Usage: ops/test.sh [--own-servers] [--stop] [-- CARGO TEST ARGS…]
#   --own-servers  start throwaway servers under target/ even where the machine has its own (for trying this path)
#   --stop         stop the throwaway servers this script started, and exit
# Variables: LAWHA_TEST_CHROMIUM, LAWHA_TEST_CHROMEDRIVER (the browser tests' programs), as the tests read them.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE="$PWD/target/test-servers"
OWN=0
STOP=0
CARGO_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --own-servers) OWN=1 ;;
        --stop) STOP=1 ;;
        --) shift; CARGO_ARGS=("$@"); break ;;
        -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "ops/test.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '== %s\n' "$*"; }
fail() { printf 'ops/test.sh: %s\n' "$*" >&2; exit 1; }

# Waits up to SECONDS for COMMAND to succeed (NAME says what is awaited, for whoever reads the call).
wait_for() { # wait_for NAME SECONDS COMMAND...
    local seconds=$2
    shift 2
    for _ in $(seq "$((seconds * 4))"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.25
    done
    return 1
}

pg_bin() { # the newest installed PostgreSQL's program NAME
    find /usr/lib/postgresql -maxdepth 3 -path "*/bin/$1" 2>/dev/null | sort -V | tail -n 1
}

stop_own() {
    if [ -f "$STATE/postgres/data/postmaster.pid" ]; then
        as_pg "$(pg_bin pg_ctl)" -D "$STATE/postgres/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    for pidfile in "$STATE/redis/redis.pid" "$STATE/mariadb/mariadb.pid"; do
        if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    done
}

# Runs a PostgreSQL program as the `postgres` user when root (initdb and postgres refuse to run as root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$STOP" = 1 ]; then
    stop_own
    say "throwaway servers stopped"
    exit 0
fi

# 1. What the tests need, as Debian packages.
missing=()
[ -n "$(pg_bin initdb)" ] || missing+=(postgresql)
command -v pg_dump >/dev/null && command -v psql >/dev/null && command -v pg_restore >/dev/null \
    || missing+=(postgresql-client)
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server redis-tools)
{ command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; } || missing+=(mariadb-server)
command -v mariadb >/dev/null && command -v mariadb-dump >/dev/null || missing+=(mariadb-client)
[ -x "${LAWHA_TEST_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -x "${LAWHA_TEST_CHROMEDRIVER:-/usr/bin/chromedriver}" ] || missing+=(chromium-driver)
# The deploy worker's tests run a real nginx in their own prefix, git repositories and python3 apps.
[ -x "${LAWHA_TEST_NGINX:-/usr/sbin/nginx}" ] || missing+=(nginx)
command -v git >/dev/null || missing+=(git)
command -v python3 >/dev/null || missing+=(python3)
command -v cargo >/dev/null || fail "cargo is not on PATH: install Rust (https://rustup.rs) first"
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "ops/test.sh: missing ${missing[*]}. As root, run:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 2
    fi
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PATH="$PATH:/usr/sbin:/sbin"

# 2. PostgreSQL: 127.0.0.1:5432, user postgres without a password.
pg_ok() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; }
pg_answers() { pg_isready -h 127.0.0.1 -p 5432 -q >/dev/null 2>&1; }
start_own_postgres() {
    local data="$STATE/postgres/data"
    mkdir -p "$STATE/postgres"
    if [ ! -f "$data/PG_VERSION" ]; then
        [ "$(id -u)" != 0 ] || chown postgres "$STATE/postgres"
        as_pg "$(pg_bin initdb)" -D "$data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
    fi
    [ "$(id -u)" != 0 ] || chown -R postgres "$STATE/postgres"
    as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$STATE/postgres/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p 5432 -k $STATE/postgres" start >/dev/null
}
if pg_ok; then
    say "PostgreSQL answers on 127.0.0.1:5432"
else
    if pg_answers; then
        fail "a PostgreSQL on 127.0.0.1:5432 refuses user postgres without a password; allow it (trust for \
127.0.0.1 in pg_hba.conf) or point LAWHA_TEST_DATABASE_URL at a server that accepts it"
    fi
    cluster=$(find /etc/postgresql -mindepth 2 -maxdepth 2 -name main 2>/dev/null | sort -V | tail -n 1)
    if [ "$OWN" = 0 ] && [ -n "$cluster" ] && command -v pg_ctlcluster >/dev/null; then
        version=$(basename "$(dirname "$cluster")")
        say "starting the machine's PostgreSQL $version cluster"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
        if ! { wait_for PostgreSQL 30 pg_answers && pg_ok; }; then
            say "the machine's cluster does not accept the tests' user; using a throwaway one instead"
            pg_ctlcluster --skip-systemctl-redirect "$version" main stop >/dev/null 2>&1 || true
        fi
    fi
    if ! pg_ok; then
        say "starting a throwaway PostgreSQL under target/test-servers/postgres"
        start_own_postgres
    fi
    wait_for PostgreSQL 60 pg_ok || fail "PostgreSQL did not answer on 127.0.0.1:5432 within 60 s"
fi
# Databases left by interrupted runs (each test drops its own when it ends normally).
psql -h 127.0.0.1 -U postgres -d postgres -Atqc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'lawha\_test\_%' OR datname LIKE 'lawha\_bench\_%'" |
    while read -r db; do psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE \"$db\" WITH (FORCE)"; done

# 3. Redis: 127.0.0.1:6379, nothing kept on disk.
redis_ok() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if redis_ok; then
    say "Redis answers on 127.0.0.1:6379"
else
    say "starting Redis on 127.0.0.1:6379"
    mkdir -p "$STATE/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir "$STATE/redis" \
        --logfile "$STATE/redis/redis.log" --pidfile "$STATE/redis/redis.pid"
    wait_for Redis 30 redis_ok || fail "Redis did not answer on 127.0.0.1:6379 within 30 s"
fi

# 4. MariaDB: 127.0.0.1:3306 and its unix socket, root without a password.
mariadb_ok() { mariadb -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; }
mariadb_answers() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
start_own_mariadb() {
    local dir="$STATE/mariadb" user
    user=$(id -un)
    [ "$(id -u)" != 0 ] || user=mysql
    mkdir -p "$dir"
    if [ ! -d "$dir/data/mysql" ]; then
        mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
            --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
            || fail "mariadb-install-db failed; see $dir/install.log"
    fi
    [ "$(id -u)" != 0 ] || chown -R mysql "$dir"
    (setsid "$(command -v mariadbd || echo /usr/sbin/mariadbd)" --no-defaults --datadir="$dir/data" \
        --user="$user" --bind-address=127.0.0.1 --port=3306 --socket="$dir/mysqld.sock" \
        --pid-file="$dir/mariadb.pid" --log-error="$dir/server.log" </dev/null >/dev/null 2>&1 &)
    export LAWHA_TEST_MYSQL_SOCKET="$dir/mysqld.sock"
}
if mariadb_ok; then
    say "MariaDB answers on 127.0.0.1:3306"
    if [ -S "$STATE/mariadb/mysqld.sock" ] && [ -f "$STATE/mariadb/mariadb.pid" ]; then
        export LAWHA_TEST_MYSQL_SOCKET="$STATE/mariadb/mysqld.sock"
    fi
else
    if mariadb_answers; then
        fail "a MariaDB on 127.0.0.1:3306 refuses root without a password; allow it or stop that server"
    fi
    if [ "$OWN" = 0 ] && [ -d /var/lib/mysql/mysql ]; then
        say "starting the machine's MariaDB"
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
        if ! wait_for MariaDB 30 mariadb_ok; then
            say "the machine's MariaDB does not accept the tests' root; using a throwaway one instead"
            start-stop-daemon --stop --oknodo --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
            wait_for "MariaDB to stop" 30 sh -c '! (exec 3<>/dev/tcp/127.0.0.1/3306)' || true
        fi
    fi
    if ! mariadb_ok; then
        say "starting a throwaway MariaDB under target/test-servers/mariadb"
        start_own_mariadb
    fi
    wait_for MariaDB 60 mariadb_ok || fail "MariaDB did not answer on 127.0.0.1:3306 within 60 s"
fi

# 5. The tests, with one closing line for the whole run.
say "cargo test --workspace ${CARGO_ARGS[*]}"
log="$STATE/last-run.log"
mkdir -p "$STATE"
set +e
cargo test --workspace "${CARGO_ARGS[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# cargo prints a result line per test binary; a binary that failed to build or crashed has none, so the exit
# status decides too.
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
