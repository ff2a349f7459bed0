#!/usr/bin/env bash
# Lawha: runs the nginx site against a real nginx and checks what `nginx -t` cannot: the limits match the panel's
# real paths, also under a security entrance, the access log never shows the entrance or a setup token, and port
# 80 serves the cert worker's ACME challenges and redirects everything else.
#
#   ops/nginx/test-site.sh [SITE [HTTP_CONF]]     (defaults: ops/nginx/lawha.conf ops/nginx/lawha-http.conf)
#
# The site is started on loopback ports in a temporary prefix (paths moved as ops/check.sh moves them), with a
# throwaway certificate and a small upstream in Python that answers 200 (after 2 s for paths containing `slow`).
# Prints one line per check and exits 1 when any fails. ops/check.sh runs it, and runs it on a copy with the old
# `location = /login` to show that it fails there. Needs nginx, openssl, curl and python3.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
site=${1:-ops/nginx/lawha.conf}
http_conf=${2:-ops/nginx/lawha-http.conf}
d=$(mktemp -d)
chmod 755 "$d"
upstream_pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    [ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
    [ -n "$upstream_pid" ] && kill "$upstream_pid" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT

failed=0
pass() { printf 'ok      %s\n' "$1"; }
fail() { printf 'FAIL    %s\n' "$1"; failed=1; }
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected $3, got $2)"; fi; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
https_port=$(free_port)
http_port=$(free_port)
upstream_port=$(free_port)

mkdir -p "$d/conf.d" "$d/sites-enabled" "$d/logs" "$d/acme" "$d/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=panel.example.com \
    -keyout "$d/tls/privkey.pem" -out "$d/tls/fullchain.pem" 2>/dev/null
moves="s#/etc/nginx/#$d/#g; s#/etc/lawha/tls/#$d/tls/#g; s#/var/www/acme#$d/acme#g; s#/var/log/nginx/#$d/logs/#g"
moves+="; s#/var/lib/lawha/certificates/[^/;]*/#$d/tls/#g" # the cert worker's files: the throwaway certificate
sed "$moves" "$http_conf" >"$d/conf.d/lawha-http.conf"
sed "$moves; s#listen 443 ssl http2;#listen 127.0.0.1:$https_port ssl http2;#; s#listen 80;#listen 127.0.0.1:$http_port;#; /listen \[::\]/d" \
    "$site" >"$d/sites-enabled/lawha"
printf 'server 127.0.0.1:%s;\n' "$upstream_port" >"$d/lawha-upstream.conf"
cat >"$d/nginx.conf" <<EOF
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    include $d/conf.d/*.conf;
    include $d/sites-enabled/*;
}
EOF

python3 - "$upstream_port" <<'EOF' &
import http.server, sys, time
class Answer(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if "slow" in self.path:
            time.sleep(2)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Answer).serve_forever()
EOF
upstream_pid=$!

if ! nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" 2>"$d/start.log"; then
    cat "$d/start.log" "$d/logs/error.log" 2>/dev/null
    echo "FAIL    nginx did not start"
    exit 1
fi
# Ready when a request reaches the upstream through nginx.
for _ in $(seq 100); do
    [ "$(curl -ks -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https_port/health/live")" = 200 ] && break
    sleep 0.1
done

# status METHOD PATH [curl options...]: the status code of one request over HTTPS.
status() {
    local method=$1 path=$2
    shift 2
    curl -ks -o /dev/null -w '%{http_code}\n' -X "$method" -H 'Host: panel.example.com' "$@" \
        "https://127.0.0.1:$https_port$path"
}
# statuses N METHOD PATH: the status codes of N requests in a row, space-separated.
statuses() {
    local n=$1 out=() i
    for ((i = 0; i < n; i++)); do out+=("$(status "$2" "$3" -d x=1)"); done
    echo "${out[*]}"
}

# Port 80: the cert worker's HTTP-01 answers from the webroot, as plain text; everything else goes to HTTPS.
mkdir -p "$d/acme/.well-known/acme-challenge"
printf 'tok3n.thumbprint' >"$d/acme/.well-known/acme-challenge/tok3n"
# on80 FORMAT PATH: curl's -w FORMAT for a request on port 80 (the body is dropped).
on80() { curl -s -o /dev/null -w "$1" -H 'Host: panel.example.com' "http://127.0.0.1:$http_port$2"; }
expect "port 80 serves an ACME challenge from the webroot" \
    "$(curl -s -H 'Host: panel.example.com' "http://127.0.0.1:$http_port/.well-known/acme-challenge/tok3n")" tok3n.thumbprint
expect "port 80 serves it as text/plain" "$(on80 '%{http_code} %{content_type}' /.well-known/acme-challenge/tok3n)" \
    "200 text/plain"
expect "port 80 answers a missing challenge with 404, not a redirect" \
    "$(on80 '%{http_code}' /.well-known/acme-challenge/missing)" 404
expect "port 80 sends everything else to HTTPS" "$(on80 '%{http_code} %{redirect_url}' '/login?next=x')" \
    "301 https://panel.example.com/login?next=x"

entrance=/k8Jd02xQ
codes=$(statuses 8 POST "$entrance/login/second-factor")
case $codes in *429*) pass "the code step under an entrance is rate-limited ($codes)" ;;
    *) fail "the code step under an entrance is rate-limited (got $codes)" ;; esac
expect "loading the sign-in page is not counted" "$(status GET "$entrance/login")" 200
expect "the sign-in at the root shares the limit" "$(status POST /login -d x=1)" 429
expect "the sign-in under the entrance shares the limit" "$(status POST "$entrance/login" -d x=1)" 429
expect "a password change under the entrance shares the limit" "$(status POST "$entrance/api/v1/account/password" -d x=1)" 429
codes=$(statuses 10 POST "$entrance/api/v1/backup-plans")
expect "other writes are not sign-in attempts" "$codes" "$(printf '200 %.0s' $(seq 10) | sed 's/ $//')"

# 40 connections at once, each held for 2 s by the upstream: the 33rd and later are refused by limit_conn.
pids=()
for i in $(seq 40); do
    status GET "/slow/$i" >"$d/conn.$i" &
    pids+=($!)
done
wait "${pids[@]}"
busy=$(cat "$d"/conn.* | grep -c 429)
if [ "$busy" -ge 1 ] && [ "$busy" -le 8 ]; then pass "limit_conn refuses connections past 32 ($busy of 40)"; else fail "limit_conn refuses connections past 32 ($busy of 40 refused)"; fi

status GET "$entrance/backups" -H "Referer: https://panel.example.com$entrance/audit?actor=x" >/dev/null
status GET /setup/0123456789abcdef >/dev/null
status GET "$entrance/setup/0123456789abcdef" >/dev/null
status POST /webhooks/github -d x=1 >/dev/null
log=$d/logs/lawha.access.log
for _ in $(seq 20); do [ -s "$log" ] && break; sleep 0.1; done
# logged NAME PATTERN: the access log has a line matching PATTERN (grep -E), or not when NAME starts with "no ".
logged() {
    local found=yes wanted=yes
    grep -Eq "$2" "$log" || found=no
    case $1 in no\ *) wanted=no ;; esac
    expect "the access log shows $1" "$found" "$wanted"
}
logged "no entrance" "${entrance#/}"
logged "no setup token" 0123456789abcdef
logged "the path behind the entrance" '"uri":"/\[entrance\]/login/second-factor"'
logged "the redacted referrer" '"referer":"https://panel\.example\.com/\[entrance\]/audit\?actor=x"'
logged "root paths as they are" '"uri":"/webhooks/github"'

exit "$failed"
