#!/usr/bin/env bash
# Validates the container and compose files: Dockerfile, .dockerignore, compose/ (stack, blue-green, monitoring),
# ops/bluegreen.sh and its test. ops/check.sh calls it; it also runs alone, from any directory:
#
#   bash compose/check.sh
#
# Needs, from Debian: docker-compose (1.29 validates compose files without a Docker engine), prometheus (promtool),
# prometheus-alertmanager (amtool), shellcheck, python3 with PyYAML (python3-yaml), curl. No network.
#
# Every checker also runs once on a deliberately broken copy (in a temporary directory) and must fail there: a
# "negative control" proves the check can catch that fault, so a checker that silently passes everything (wrong
# path, tool that ignores its input) is caught too. One line per check; exit status 1 if any check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
C=$ROOT/compose
M=$C/monitoring
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PASSED=0
FAILED=0

# check NAME COMMAND...: the command must succeed; its output is shown only when it does not.
check() {
    local name=$1
    shift
    if "$@" >"$WORK/out" 2>&1; then
        PASSED=$((PASSED + 1))
        echo "ok    $name"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL  $name"
        sed 's/^/      | /' "$WORK/out" | head -n 60
    fi
}

# refute NAME COMMAND...: negative control; the command runs a checker on a broken copy and must fail.
refute() {
    local name=$1
    shift
    if "$@" >"$WORK/out" 2>&1; then
        FAILED=$((FAILED + 1))
        echo "FAIL  negative control: $name passed on a broken copy, so this check cannot catch that fault"
    else
        PASSED=$((PASSED + 1))
        echo "ok    negative control: $name fails on a broken copy"
    fi
}

# broken_copy SRC NAME: copies SRC (file or directory) to $WORK/NAME and prints the copy's path.
broken_copy() {
    rm -rf "${WORK:?}/$2"
    cp -a "$1" "$WORK/$2"
    echo "$WORK/$2"
}

# edit FILE PYTHON_EXPR: rewrites FILE with the text `s` transformed by the expression, which must change it.
edit() {
    python3 - "$1" "$2" <<'EOF'
import sys
path, expr = sys.argv[1], sys.argv[2]
s = open(path).read()
t = eval(expr, {"s": s})
if t == s:
    sys.exit(f"edit did not change {path}: {expr}")
open(path, "w").write(t)
EOF
}

# --- tools ---------------------------------------------------------------------------------------------------------
missing=()
for tool in docker-compose promtool amtool shellcheck python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})) || ! python3 -c 'import yaml' 2>/dev/null; then
    echo "FAIL  tools: missing ${missing[*]:-}$(python3 -c 'import yaml' 2>/dev/null || echo ' PyYAML')"
    echo "      install: apt-get install -y docker-compose prometheus prometheus-alertmanager shellcheck python3-yaml curl"
    exit 1
fi
echo "ok    tools: $(docker-compose version --short), $(promtool --version 2>&1 | head -n 1 | cut -d' ' -f1-3), $(amtool --version 2>&1 | head -n 1 | cut -d' ' -f1-3)"

# --- Dockerfile ----------------------------------------------------------------------------------------------------
check "Dockerfile and .dockerignore: stages, runtime packages, non-root user, healthcheck, entrypoint" \
    python3 "$C/checks.py" dockerfile "$ROOT"
df=$(broken_copy "$ROOT" repo-df)
edit "$df/Dockerfile" 's.replace("USER 10001:10001", "USER root")'
refute "Dockerfile check (runs as root)" python3 "$C/checks.py" dockerfile "$df"
rm -rf "$df"

# --- compose -------------------------------------------------------------------------------------------------------
# Throwaway secrets from the real generator (which is thereby tested too), and the example env file: the same
# inputs a fresh deployment has.
check "init-secrets.sh creates the secret files" "$C/init-secrets.sh" "$WORK/secrets"
export LAWHA_SECRETS_DIR=$WORK/secrets

# compose_valid DIR FILE...: docker-compose config -q on the files of DIR.
compose_valid() {
    local dir=$1 args=()
    shift
    for f in "$@"; do args+=(-f "$dir/$f"); done
    docker-compose --env-file "$dir/.env.example" -p lawha "${args[@]}" config -q
}
# compose_shape DIR KIND FILE...: the merged configuration passes checks.py's structural checks for KIND.
compose_shape() {
    local dir=$1 kind=$2 args=() out
    shift 2
    for f in "$@"; do args+=(-f "$dir/$f"); done
    out=$(mktemp "$WORK/config.XXXXXX")
    docker-compose --env-file "$dir/.env.example" -p lawha "${args[@]}" config >"$out"
    python3 "$C/checks.py" compose "$out" "$kind"
}
# colours_in_step DIR: lawha-blue and lawha-green differ only in colour and port.
colours_in_step() {
    local dir=$1
    docker-compose --env-file "$dir/.env.example" -p lawha -f "$dir/docker-compose.shared.yml" \
        -f "$dir/docker-compose.blue.yml" config >"$WORK/blue.yml"
    docker-compose --env-file "$dir/.env.example" -p lawha -f "$dir/docker-compose.shared.yml" \
        -f "$dir/docker-compose.green.yml" config >"$WORK/green.yml"
    python3 "$C/checks.py" compose-pair "$WORK/blue.yml" "$WORK/green.yml"
}

STACK=(docker-compose.yml)
BLUE=(docker-compose.shared.yml docker-compose.blue.yml)
GREEN=(docker-compose.shared.yml docker-compose.green.yml)
MON=(docker-compose.yml docker-compose.monitoring.yml)
BLUE_MON=(docker-compose.shared.yml docker-compose.blue.yml docker-compose.monitoring.yml)
DEPLOY=(docker-compose.yml docker-compose.deploy.yml)

check "compose config: stack (docker-compose.yml)" compose_valid "$C" "${STACK[@]}"
check "compose config: shared alone" compose_valid "$C" docker-compose.shared.yml
check "compose config: shared + blue" compose_valid "$C" "${BLUE[@]}"
check "compose config: shared + green" compose_valid "$C" "${GREEN[@]}"
check "compose config: monitoring alone" compose_valid "$C" docker-compose.monitoring.yml
check "compose config: stack + monitoring" compose_valid "$C" "${MON[@]}"
check "compose config: shared + blue + monitoring" compose_valid "$C" "${BLUE_MON[@]}"
check "compose config: shared + monitoring (blue-green host, README command)" \
    compose_valid "$C" docker-compose.shared.yml docker-compose.monitoring.yml
check "compose shape: stack (loopback-only port, no DB ports, healthchecks, migrate first, secrets as files, proxy trusted)" \
    compose_shape "$C" stack "${STACK[@]}"
check "compose shape: shared + blue (127.0.0.1:8081)" compose_shape "$C" bluegreen "${BLUE[@]}"
check "compose shape: shared + green (127.0.0.1:8082)" compose_shape "$C" bluegreen "${GREEN[@]}"
check "compose shape: blue and green identical but for colour and port" colours_in_step "$C"
check "compose shape: stack + monitoring (Loki unpublished, Promtail's socket read-only, Grafana on loopback)" \
    compose_shape "$C" monitoring "${MON[@]}"
check "compose shape: shared + blue + monitoring" compose_shape "$C" monitoring "${BLUE_MON[@]}"
check "compose config: stack + deploy (docker-compose.deploy.yml)" compose_valid "$C" "${DEPLOY[@]}"
check "compose shape: stack + deploy (PostgreSQL and Redis on loopback only, for the host's deploy worker)" \
    compose_shape "$C" deploy "${DEPLOY[@]}"

bc=$(broken_copy "$C" compose-unknown-key)
edit "$bc/lawha.base.yml" 's.replace("    init: true\n", "    init: true\n    restart_polcy: always\n", 1)'
refute "compose config (unknown key)" compose_valid "$bc" "${STACK[@]}"
bc=$(broken_copy "$C" compose-db-port)
edit "$bc/docker-compose.shared.yml" 's.replace("    shm_size: 256m\n", "    shm_size: 256m\n    ports: [\"5432:5432\"]\n", 1)'
refute "compose shape (PostgreSQL port published)" compose_shape "$bc" stack "${STACK[@]}"
bc=$(broken_copy "$C" compose-proxy)
# shellcheck disable=SC2016 # the $ here is text for Python, not for this shell
edit "$bc/lawha.base.yml" 's.replace(",${LAWHA_FRONTEND_GATEWAY:-172.31.250.1}", "", 1)'
refute "compose shape (the frontend gateway not trusted as the proxy)" compose_shape "$bc" stack "${STACK[@]}"
bc=$(broken_copy "$C" compose-drift)
edit "$bc/docker-compose.green.yml" 's.replace("      org.lawha.colour: green\n", "      org.lawha.colour: green\n    read_only: false\n", 1)'
refute "compose shape (green drifted from blue)" colours_in_step "$bc"
bc=$(broken_copy "$C" compose-monitoring)
edit "$bc/docker-compose.monitoring.yml" 's.replace("/var/run/docker.sock:/var/run/docker.sock:ro", "/var/run/docker.sock:/var/run/docker.sock")'
# shellcheck disable=SC2016 # the $ here is text for Python or for the broken script, not for this shell
edit "$bc/docker-compose.monitoring.yml" 's.replace("    # No `ports:`", "    ports: [\"3100:3100\"]\n    # No `ports:`")'
refute "compose shape (Loki published, Docker socket writable)" compose_shape "$bc" monitoring "${MON[@]}"
bc=$(broken_copy "$C" compose-deploy)
# shellcheck disable=SC2016 # the $ here is text for Python, not for this shell
edit "$bc/docker-compose.deploy.yml" 's.replace("\"127.0.0.1:${LAWHA_DEPLOY_POSTGRES_PORT:-15432}:5432\"", "\"${LAWHA_DEPLOY_POSTGRES_PORT:-15432}:5432\"", 1)'
refute "compose shape (the deploy overlay publishes PostgreSQL on every interface)" \
    compose_shape "$bc" deploy "${DEPLOY[@]}"
refute "compose shape (the deploy overlay checked as the plain stack: database ports)" \
    compose_shape "$C" stack "${DEPLOY[@]}"
bc=$(broken_copy "$C" compose-cert-worker)
edit "$bc/docker-compose.yml" 's.replace("    networks:\n      - frontend\n    depends_on:", "    depends_on:", 1)'
refute "compose shape (the cert worker without a way out to the ACME CA)" compose_shape "$bc" stack "${STACK[@]}"
bc=$(broken_copy "$C" compose-cert-alias)
edit "$bc/docker-compose.green.yml" 's.replace("          - lawha-cert-worker\n", "          - cert-worker\n", 1)'
refute "compose shape (green's cert worker without the alias Prometheus looks up)" \
    compose_shape "$bc" bluegreen "${GREEN[@]}"

# --- Prometheus ----------------------------------------------------------------------------------------------------
check "promtool check config (prometheus.yml + rules)" promtool check config "$M/prometheus/prometheus.yml"
for rules in "$M"/prometheus/rules/*.yml; do
    check "promtool check rules: ${rules##*/}" promtool check rules "$rules"
done
for tests in "$M"/prometheus/tests/*.yml; do
    check "promtool test rules: ${tests##*/} (every alert fires; healthy series fire none)" promtool test rules "$tests"
done
check "alert rules: >= 11 alerts, each with for/severity/summary/description, metric contract, test coverage" \
    python3 "$C/checks.py" rules "$M/prometheus/rules" "$M/prometheus/tests"

bp=$(broken_copy "$M/prometheus" prometheus)
edit "$bp/prometheus.yml" 's.replace("  scrape_interval: 15s\n", "  scrape_intervall: 15s\n", 1)'
refute "promtool check config (misspelt key)" promtool check config "$bp/prometheus.yml"
bp=$(broken_copy "$M/prometheus" prometheus)
edit "$bp/rules/lawha.rules.yml" 's.replace("expr: pg_up == 0", "expr: pg_up ==", 1)'
refute "promtool check rules (invalid PromQL)" promtool check rules "$bp/rules/lawha.rules.yml"
bp=$(broken_copy "$M/prometheus" prometheus)
edit "$bp/rules/lawha.rules.yml" 's.replace("expr: lawha_dispatcher_lag > 100", "expr: lawha_dispatcher_lag > 1000", 1)'
refute "promtool test rules (threshold changed under the tests)" promtool test rules "$bp/tests/lawha.rules.test.yml"
bp=$(broken_copy "$M/prometheus" prometheus)
edit "$bp/rules/certificates.rules.yml" 's.replace("lawha_certificate_failures_in_a_row) >= 3", "lawha_certificate_failures_in_a_row) >= 4", 1)'
refute "promtool test rules (certificate failures threshold changed under the tests)" \
    promtool test rules "$bp/tests/certificates.rules.test.yml"
bp=$(broken_copy "$M/prometheus" prometheus)
edit "$bp/rules/lawha.rules.yml" 's.replace("        for: 2m\n", "", 1)'
refute "alert rules check (an alert without for)" python3 "$C/checks.py" rules "$bp/rules" "$bp/tests"
bp=$(broken_copy "$M/prometheus" prometheus)
edit "$bp/rules/certificates.rules.yml" 's.replace("alert: LawhaCertificateRenewalFailing", "alert: LawhaCertificateOrdersFailing", 1)'
refute "alert rules check (a certificate alert that no test fires)" python3 "$C/checks.py" rules "$bp/rules" "$bp/tests"

# --- Alertmanager --------------------------------------------------------------------------------------------------
AM=$M/alertmanager/alertmanager.yml
check "amtool check-config" amtool check-config "$AM"
check "amtool routes: critical -> oncall-critical (e-mail + Slack)" \
    amtool config routes test --config.file="$AM" --verify.receivers=oncall-critical severity=critical alertname=PostgresDown
check "amtool routes: warning -> slack-warnings" \
    amtool config routes test --config.file="$AM" --verify.receivers=slack-warnings severity=warning alertname=HostLowMemory
check "alertmanager: secrets from files, grouping, inhibitions" python3 "$C/checks.py" alertmanager "$AM"

ba=$(broken_copy "$AM" alertmanager.yml)
edit "$ba" 's.replace("api_url_file:", "api_url_fil:", 1)'
refute "amtool check-config (misspelt key)" amtool check-config "$ba"
ba=$(broken_copy "$AM" alertmanager.yml)
edit "$ba" 's.replace("      receiver: oncall-critical\n", "      receiver: slack-warnings\n", 1)'
refute "amtool routes (critical routed to Slack only)" \
    amtool config routes test --config.file="$ba" --verify.receivers=oncall-critical severity=critical alertname=PostgresDown
ba=$(broken_copy "$AM" alertmanager.yml)
edit "$ba" 's.replace("  smtp_auth_password_file: /run/secrets/smtp_password\n", "  smtp_auth_password: hunter2\n", 1)'
refute "alertmanager check (password written in the file)" python3 "$C/checks.py" alertmanager "$ba"

# --- Grafana, Loki, Promtail ---------------------------------------------------------------------------------------
check "grafana: data source uids of every panel and variable, logs dashboard >= 7 Loki panels, overview coverage" \
    python3 "$C/checks.py" grafana "$M"
check "loki: 7-day retention enforced by the compactor" python3 "$C/checks.py" loki "$M/loki/loki.yml"
check "promtail: docker_sd on the socket, JSON stage for Lawha's fields, bounded labels" \
    python3 "$C/checks.py" promtail "$M/promtail/promtail.yml"

bg=$(broken_copy "$M" monitoring)
edit "$bg/grafana/dashboards/lawha-logs.json" 's.replace("\"uid\": \"lawha-loki\"", "\"uid\": \"loki-typo\"", 3)'
refute "grafana check (panel with an unknown data source uid)" python3 "$C/checks.py" grafana "$bg"
bg=$(broken_copy "$M" monitoring)
python3 - "$bg/grafana/dashboards/lawha-logs.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); d["panels"] = d["panels"][:6]; json.dump(d, open(sys.argv[1], "w"))
EOF
refute "grafana check (logs dashboard with 6 panels)" python3 "$C/checks.py" grafana "$bg"
bl=$(broken_copy "$M/loki/loki.yml" loki.yml)
edit "$bl" 's.replace("retention_enabled: true", "retention_enabled: false")'
refute "loki check (retention not enforced)" python3 "$C/checks.py" loki "$bl"
bt=$(broken_copy "$M/promtail/promtail.yml" promtail.yml)
edit "$bt" 's.replace("request_id: span.request_id", "request_id: request_id", 1)'
refute "promtail check (request_id not read from the span)" python3 "$C/checks.py" promtail "$bt"

# --- scripts -------------------------------------------------------------------------------------------------------
SCRIPTS=("$ROOT/ops/bluegreen.sh" "$ROOT/ops/tests/bluegreen-test.sh" "$ROOT/ops/tests/fakes/docker"
    "$ROOT/ops/tests/fakes/nginx" "$C/check.sh" "$C/init-secrets.sh")
check "shellcheck: ${#SCRIPTS[@]} scripts" shellcheck "${SCRIPTS[@]}"
check "bluegreen.sh --help" "$ROOT/ops/bluegreen.sh" --help
# shellcheck disable=SC2016 # the $ here is text for Python or for the broken script, not for this shell
printf '#!/usr/bin/env bash\nrm -rf $1/*\n' >"$WORK/bad.sh"
refute "shellcheck (unquoted variable)" shellcheck "$WORK/bad.sh"

check "ops/tests/bluegreen-test.sh (deploy, rollback, failed readiness, failed nginx -t/reload, lock)" \
    bash "$ROOT/ops/tests/bluegreen-test.sh"
bb=$(broken_copy "$ROOT/ops/bluegreen.sh" bluegreen.sh)
# shellcheck disable=SC2016 # the $ here is text for Python or for the broken script, not for this shell
edit "$bb" 's.replace("write_atomically \"$UPSTREAM_FILE\" \"$OLD_UPSTREAM\"", ": skip the restore")'
refute "bluegreen-test.sh (a bluegreen.sh that does not restore the upstream)" \
    env BLUEGREEN_SCRIPT="$bb" bash "$ROOT/ops/tests/bluegreen-test.sh"

echo "$PASSED passed, $FAILED failed"
if ((FAILED)); then
    echo "compose/check.sh: $FAILED check(s) failed" >&2
    exit 1
fi
