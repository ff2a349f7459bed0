#!/usr/bin/env bash
# The API contract check: starts a throwaway panel (SQLite under a temporary folder, no workers, so no job
# ever runs) with an admin and an API token, and runs Schemathesis over its own /api/openapi.json with every
# check, positive and negative data. Exits non-zero on any failure.
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
        -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
printf '%s\n' "contract check password, long enough" | "$exe" admin create-user contract --role admin >/dev/null
token=$("$exe" admin create-token contract --user contract --scope admin)

"$exe" serve >"$work/panel.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { cat "$work/panel.log"; exit 1; }

status=0
(cd "$work" && "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/openapi.json" \
    --checks all \
    --mode all \
    --max-examples "$examples" \
    --exclude-path /api/v1/events/stream \
    --header "Authorization: Bearer $token" \
    --suppress-health-check all \
    --generation-database none \
    --no-color) || status=$?
if [ "$status" -ne 0 ]; then
    echo "ops/contract.sh: the panel's log follows" >&2
    tail -n 50 "$work/panel.log" >&2
fi
exit "$status"
