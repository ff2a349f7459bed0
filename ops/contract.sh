#!/usr/bin/env bash
# The API contract check: starts a throwaway panel (SQLite under a temporary folder, no workers, so no job
# ever runs) with an admin, an API token and a signed-in session, and runs Schemathesis over its own
# /api/openapi.json with every check, positive and negative data: the operations tokens may call with the token,
# the session-only ones with the session (ops/schemathesis.toml says which answers a valid request may also get,
# and why). Exits non-zero on any failure.
#
#   ops/contract.sh [--max-examples N]      (default 60 examples per operation)
#
# Needs the debug binary (cargo build -p lawha) and Schemathesis in target/venv (installed when missing).
# Excluded, with the reason:
#   GET /api/v1/events/stream  a server-sent event stream never ends, so a generated request never completes;
#                              its query contract is tested in tests/api/events.rs.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
examples=60
while [ $# -gt 0 ]; do
    case "$1" in
        --max-examples) examples="$2"; shift 2 ;;
        -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "ops/contract.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

venv="$root/target/venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "ops/contract.sh: installing Schemathesis into target/venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
cargo build --quiet -p lawha
exe="$root/target/debug/lawha"

work=$(mktemp -d "${TMPDIR:-/tmp}/lawha-contract.XXXXXX")
pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LAWHA_ENV=development
export LAWHA_LISTEN="127.0.0.1:$port"
export LAWHA_DATA_DIR="$work/data"
export LAWHA_DATABASE_URL="sqlite://$work/data/lawha.db"
export LAWHA_SECRET_KEY="contract-check-secret-key-0123456789abcdef"
export LAWHA_JOBS__IN_PROCESS=none
export LAWHA_JOBS__AUDIT_VERIFY_CRON=""
export LAWHA_LOG__LEVEL=warn
mkdir -p "$LAWHA_DATA_DIR"

"$exe" migrate >/dev/null
# Two admins: the token's owner and the person signed in, so a generated sign-out-everywhere with the token
# never ends the session the second pass uses.
printf '%s\n' "contract check password, long enough" | "$exe" admin create-user contract --role admin >/dev/null
printf '%s\n' "contract robot password, long enough" | "$exe" admin create-user robot --role admin >/dev/null
token=$("$exe" admin create-token contract --user robot --scope admin)

"$exe" serve >"$work/panel.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { cat "$work/panel.log"; exit 1; }

# A signed-in session for the operations only a person may call (x-lawha-need: session); signed in before any
# generated request, so the sign-in throttle the generated wrong passwords trip never blocks it.
base="http://127.0.0.1:$port"
jar="$work/cookies"
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
csrf=$(curl -fsS -c "$jar" -b "$jar" "$base/api/v1/session" | json_field csrf)
csrf=$(curl -fsS -c "$jar" -b "$jar" --data-urlencode "username=contract" \
    --data-urlencode "password=contract check password, long enough" --data-urlencode "csrf=$csrf" \
    "$base/login" | json_field csrf)
cookie=$(awk '$6 == "lawha_session" { print $6 "=" $7 }' "$jar")
[ -n "$cookie" ] || { echo "ops/contract.sh: signing in failed" >&2; cat "$work/panel.log" >&2; exit 1; }

st() {
    (cd "$work" && "$venv/bin/schemathesis" --config-file "$root/ops/schemathesis.toml" run "$base/api/openapi.json" \
        --checks all \
        --mode all \
        --max-examples "$examples" \
        --exclude-path /api/v1/events/stream \
        --suppress-health-check all \
        --generation-database none \
        --no-color \
        "$@")
}

status=0
echo "== operations for API tokens and everyone: as an admin token"
st --exclude-by '/x-lawha-need == "session"' --header "Authorization: Bearer $token" || status=$?
echo "== operations for signed-in people only: as a signed-in admin"
st --include-by '/x-lawha-need == "session"' --header "Cookie: $cookie" --header "X-CSRF-Token: $csrf" \
    || status=$?
if [ "$status" -ne 0 ]; then
    echo "ops/contract.sh: the panel's log follows" >&2
    tail -n 50 "$work/panel.log" >&2
fi
exit "$status"
