#!/usr/bin/env bash
# Tests ops/bluegreen.sh end to end on this machine: bash ops/tests/bluegreen-test.sh
#
# Real: the script, its files (upstream include, state, tags), HTTP readiness checks against real listening
# processes, the drain, the timing. Fake (./fakes, first on PATH): `docker` (no Docker engine here: `compose up`
# starts a small HTTP server on the colour's port instead of a container) and `nginx` (the machine's nginx is not
# ours to reload). Each case prints "ok" or "FAIL" with what differed; the script exits 1 if any case failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# BLUEGREEN_SCRIPT: another copy to test; compose/check.sh points it at a broken one, which must fail here.
SCRIPT=${BLUEGREEN_SCRIPT:-$HERE/../bluegreen.sh}
T=$(mktemp -d)

cleanup() {
    local pidfile
    for pidfile in "$T"/fake/*.pid; do
        if [[ -f $pidfile ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    rm -rf "$T"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$T/fake" "$T/nginx" "$T/state"
export PATH="$HERE/fakes:$PATH"
export FAKE_DIR=$T/fake
export LAWHA_COMPOSE_DIR=$HERE/../../compose
export LAWHA_UPSTREAM_FILE=$T/nginx/lawha-upstream.conf
export LAWHA_STATE_FILE=$T/state/active-colour
export LAWHA_BLUE_PORT LAWHA_GREEN_PORT
LAWHA_BLUE_PORT=$(free_port)
LAWHA_GREEN_PORT=$(free_port)
while [[ $LAWHA_GREEN_PORT == "$LAWHA_BLUE_PORT" ]]; do LAWHA_GREEN_PORT=$(free_port); done
export LAWHA_READY_TIMEOUT=5 LAWHA_READY_INTERVAL=0.2 LAWHA_DRAIN_SECONDS=1
export NGINX_TEST_CMD="nginx -t" NGINX_RELOAD_CMD="nginx -s reload"
unset LAWHA_COMPOSE_CMD LAWHA_LOCK_FILE

BLUE_LINE="server 127.0.0.1:$LAWHA_BLUE_PORT;"
GREEN_LINE="server 127.0.0.1:$LAWHA_GREEN_PORT;"
PASSED=0
FAILED=0

pass() {
    PASSED=$((PASSED + 1))
    echo "ok   - $CASE: $1"
}
SHOWN=no # whether the current run's output was printed already (once is enough)
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $CASE: $1"
    if [[ $SHOWN == no && -s $T/out ]]; then
        sed 's/^/       | /' "$T/out"
        SHOWN=yes
    fi
}

# run EXPECTED_STATUS ARGS...: runs bluegreen.sh, output in $T/out, events of this run in $T/events.
run() {
    local expected=$1 status=0
    shift
    : >"$FAKE_DIR/events.log"
    SHOWN=no
    "$SCRIPT" "$@" >"$T/out" 2>&1 || status=$?
    cp "$FAKE_DIR/events.log" "$T/events"
    if [[ $status == "$expected" ]]; then pass "'bluegreen.sh $*' exits $status"; else fail "'bluegreen.sh $*' exited $status, expected $expected"; fi
}

expect_file() { # FILE EXPECTED_CONTENT DESCRIPTION
    local got
    got=$(cat "$1" 2>/dev/null || echo "<missing>")
    if [[ $got == "$2" ]]; then pass "$3"; else fail "$3: ${1##*/} is '$got', expected '$2'"; fi
}

expect_event() { # LINE DESCRIPTION
    if grep -qxF "$1" "$T/events"; then pass "$2"; else fail "$2: no '$1' among: $(tr '\n' ';' <"$T/events")"; fi
}

expect_no_event() { # LINE DESCRIPTION
    if grep -qxF "$1" "$T/events"; then fail "$2: unexpected '$1'"; else pass "$2"; fi
}

expect_output() { # TEXT DESCRIPTION
    if grep -qF "$1" "$T/out"; then pass "$2"; else fail "$2: output lacks '$1'"; fi
}

ready_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health/ready" || true; }

expect_serving() { # COLOUR
    local port
    port=$([[ $1 == blue ]] && echo "$LAWHA_BLUE_PORT" || echo "$LAWHA_GREEN_PORT")
    if [[ $(ready_code "$port") == 200 ]]; then pass "$1 still answers ready"; else fail "$1 does not answer ready"; fi
}

expect_down() { # COLOUR
    local port
    port=$([[ $1 == blue ]] && echo "$LAWHA_BLUE_PORT" || echo "$LAWHA_GREEN_PORT")
    if [[ $(ready_code "$port") == 000 ]]; then pass "$1 no longer listens"; else fail "$1 still listens on $port"; fi
}

# A host that ran Lawha under systemd: ops/install.sh created the include for port 8080, no colour is active.
printf 'server 127.0.0.1:8080;\n' >"$LAWHA_UPSTREAM_FILE"

CASE="usage"
run 0 --help
expect_output "deploy TAG" "--help describes deploy"
run 2 deploy
run 2 deploy "bad tag;rm"
run 2 frobnicate

CASE="first deploy"
run 0 deploy v1
expect_event "up blue v1" "blue started with tag v1"
expect_file "$LAWHA_UPSTREAM_FILE" "$BLUE_LINE" "upstream points at blue"
expect_event "reload $BLUE_LINE" "nginx reloaded with the blue upstream"
expect_file "$LAWHA_STATE_FILE" "blue" "state says blue"
expect_file "$T/state/blue.tag" "v1" "blue's tag recorded"
expect_serving blue

CASE="second deploy"
started=$SECONDS
run 0 deploy v2
expect_event "up green v2" "green started with tag v2"
expect_file "$LAWHA_UPSTREAM_FILE" "$GREEN_LINE" "upstream points at green"
expect_file "$LAWHA_STATE_FILE" "green" "state says green"
expect_event "stop blue" "old colour blue stopped"
expect_down blue
expect_serving green
if ((SECONDS - started >= LAWHA_DRAIN_SECONDS)); then pass "drained before stopping blue"; else fail "finished faster than the drain period"; fi
if [[ $(grep -nxF "reload $GREEN_LINE" "$T/events" | cut -d: -f1) -lt $(grep -nxF "stop blue" "$T/events" | cut -d: -f1) ]]; then
    pass "nginx switched before blue stopped"
else
    fail "blue stopped before nginx switched: $(tr '\n' ';' <"$T/events")"
fi

CASE="status"
run 0 status
expect_output "active:   green" "status names the active colour"
expect_output "tag v2, 127.0.0.1:$LAWHA_GREEN_PORT/health/ready -> 200" "status shows green ready"

CASE="new colour never ready"
echo 503 >"$FAKE_DIR/blue.ready"
run 1 deploy v3
expect_event "up blue v3" "blue was started"
expect_file "$LAWHA_UPSTREAM_FILE" "$GREEN_LINE" "upstream untouched"
expect_file "$LAWHA_STATE_FILE" "green" "state untouched"
expect_no_event "reload $BLUE_LINE" "nginx not reloaded"
expect_event "stop blue" "the unready blue was stopped"
expect_down blue
expect_serving green
expect_output "did not become ready" "the message says why"
expect_file "$T/state/blue.tag" "v1" "blue's recorded tag unchanged"
rm -f "$FAKE_DIR/blue.ready"

CASE="compose up fails (migration)"
touch "$FAKE_DIR/up-fail"
run 1 deploy v3
expect_file "$LAWHA_UPSTREAM_FILE" "$GREEN_LINE" "upstream untouched"
expect_file "$LAWHA_STATE_FILE" "green" "state untouched"
expect_event "stop blue" "blue stopped"
expect_serving green
rm -f "$FAKE_DIR/up-fail"

CASE="nginx -t fails after the switch"
touch "$FAKE_DIR/nginx-t-fail"
run 1 deploy v4
expect_event "up blue v4" "blue was started"
expect_file "$LAWHA_UPSTREAM_FILE" "$GREEN_LINE" "upstream restored to green"
expect_file "$LAWHA_STATE_FILE" "green" "state untouched"
expect_event "stop blue" "blue stopped"
expect_no_event "stop green" "green kept running"
expect_event "reload $GREEN_LINE" "nginx reloaded with the restored upstream"
expect_serving green
rm -f "$FAKE_DIR/nginx-t-fail"

CASE="nginx reload fails after the switch"
touch "$FAKE_DIR/nginx-reload-fail"
run 1 deploy v5
expect_file "$LAWHA_UPSTREAM_FILE" "$GREEN_LINE" "upstream restored to green"
expect_file "$LAWHA_STATE_FILE" "green" "state untouched"
expect_event "stop blue" "blue stopped"
expect_serving green
rm -f "$FAKE_DIR/nginx-reload-fail"

CASE="new colour fails right after the switch"
echo blue >"$FAKE_DIR/reload-breaks"
run 1 deploy v6
expect_event "reload $BLUE_LINE" "nginx was switched to blue"
expect_event "reload $GREEN_LINE" "and switched back to green"
expect_file "$LAWHA_UPSTREAM_FILE" "$GREEN_LINE" "upstream restored to green"
expect_file "$LAWHA_STATE_FILE" "green" "state untouched"
expect_event "stop blue" "blue stopped"
expect_output "stopped answering ready right after the switch" "the message says why"
expect_serving green
rm -f "$FAKE_DIR/blue.ready"

CASE="rollback"
run 0 rollback
expect_event "up blue v1" "blue started again with its last good tag v1"
expect_file "$LAWHA_UPSTREAM_FILE" "$BLUE_LINE" "upstream points at blue"
expect_file "$LAWHA_STATE_FILE" "blue" "state says blue"
expect_event "stop green" "green stopped"
expect_serving blue

CASE="concurrent run"
exec 8>"$T/state/.bluegreen.lock"
flock -n 8
run 1 deploy v7
expect_output "is running (lock" "a second run refuses while one holds the lock"
expect_file "$LAWHA_STATE_FILE" "blue" "state untouched"
exec 8>&-

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
