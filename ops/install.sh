#!/usr/bin/env bash
# Lawha: install or update the panel on a plain Debian/Ubuntu server with systemd and nginx. Run as root from a
# checkout (the files come from ops/). Idempotent: a second run changes nothing, and what an operator owns is never
# overwritten once it exists (the configuration with its secret key, the certificates, the nginx upstream file).
#
# LAWHA_ROOT=/some/dir installs every path under that prefix instead of /, without creating the user, changing
# owners, testing nginx or calling systemctl: ops/check.sh runs it so, twice, and compares the trees.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: ops/install.sh [--domain DOMAIN] [--certificate-id ID] [--binary PATH] [--no-start] [--dry-run]

Installs the lawha binary (and the lawha-*-worker binaries of the units in ops/systemd/, taken from the same
folder) into /usr/local/bin, the systemd units, the nginx site, logrotate, the user `lawha` and its folders, and
/etc/lawha/lawha.env with a generated secret key when that file is absent. Then reloads systemd, tests and
reloads nginx, checks the configuration and starts the units.

  --domain DOMAIN  the panel's domain name for nginx (or LAWHA_DOMAIN); on an update, defaults to the one
                   already installed
  --certificate-id ID
                   the id of the panel's own certificate, once the cert worker has issued it (its page in the
                   panel, or GET /api/v1/certificates): nginx then serves
                   /var/lib/lawha/certificates/ID/fullchain.pem instead of the self-signed placeholder of
                   /etc/lawha/tls. On an update, defaults to the one already installed
  --binary PATH    the lawha binary (default: target/release/lawha of this checkout)
  --no-start       install only: do not reload nginx, enable or start anything
  --dry-run        print what would change, change nothing
  -h, --help       this text

Environment: LAWHA_ROOT=DIR installs under DIR (for tests: no user, owners, nginx -t or systemctl).
EOF
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${LAWHA_ROOT:-}
domain=${LAWHA_DOMAIN:-}
certificate_id=
binary=$repo/target/release/lawha
start=1
dry_run=0

die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
        --domain) [ $# -ge 2 ] || die "--domain needs a value"; domain=$2; shift 2 ;;
        --domain=*) domain=${1#*=}; shift ;;
        --certificate-id) [ $# -ge 2 ] || die "--certificate-id needs a value"; certificate_id=$2; shift 2 ;;
        --certificate-id=*) certificate_id=${1#*=}; shift ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a value"; binary=$2; shift 2 ;;
        --binary=*) binary=${1#*=}; shift ;;
        --no-start) start=0; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

# --- What is installed, and where -----------------------------------------------------------------------------------
p() { printf '%s%s' "$root" "$1"; } # a path on the target system

site=$(p /etc/nginx/sites-available/lawha)
# The cert worker's certificates.dir (ops/systemd/lawha-cert-worker.service): <dir>/<certificate id>/fullchain.pem.
certificates=/var/lib/lawha/certificates
env_file=$(p /etc/lawha/lawha.env)
units=()
for unit in "$repo"/ops/systemd/*.service; do [ -e "$unit" ] && units+=("$(basename "$unit")"); done
[ ${#units[@]} -gt 0 ] || die "no units in $repo/ops/systemd"

# --- Checks before touching anything ---------------------------------------------------------------------------------
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (or set LAWHA_ROOT to install into a folder)"; fi
command -v openssl >/dev/null || die "openssl is missing: apt-get install openssl"
if [ -z "$root" ]; then
    command -v nginx >/dev/null || die "nginx is missing: apt-get install nginx"
    command -v systemctl >/dev/null || die "systemctl is missing: this script needs systemd"
fi
if [ -z "$domain" ] && [ -f "$site" ]; then
    domain=$(sed -n 's/^[[:space:]]*server_name[[:space:]]\{1,\}\([^;[:space:]]*\).*/\1/p' "$site" | head -n 1)
fi
[ -n "$domain" ] || die "--domain is required on the first install (the panel's domain name, e.g. panel.example.org)"
[[ $domain =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "not a domain name: $domain"
if [ -z "$certificate_id" ] && [ -f "$site" ]; then
    certificate_id=$(sed -n "s#^[[:space:]]*ssl_certificate[[:space:]]\{1,\}$certificates/\([^/]*\)/fullchain\.pem;.*#\1#p" \
        "$site" | head -n 1)
fi
if [ -n "$certificate_id" ]; then
    [[ $certificate_id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] \
        || die "not a certificate id (a UUID, as on the certificate's page): $certificate_id"
    # nginx would refuse the site (and keep running the previous one) without them.
    for file in fullchain.pem privkey.pem; do
        [ -s "$(p "$certificates/$certificate_id/$file")" ] \
            || die "no $certificates/$certificate_id/$file: is the id right, and has the cert worker issued it?"
    done
fi
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    die "no executable at $binary: run cargo build --release, or pass --binary PATH"
fi
bin_dir=$(cd "$(dirname "$binary")" && pwd)
# Each unit runs the binary of its name (lawha.service: lawha, lawha-backup-worker.service: lawha-backup-worker).
binaries=()
for unit in "${units[@]}"; do
    name=${unit%.service}
    if [ "$name" = lawha ]; then src=$binary; else src=$bin_dir/$name; fi
    [ -x "$src" ] || die "$unit needs the binary $name, not found at $src"
    binaries+=("$src")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- Primitives: each prints what it changes, and changes nothing under --dry-run ----------------------------------
changes=0
restart_units=0 # a binary or unit changed: running units must restart
nginx_changed=0

change() { # change DESCRIPTION COMMAND...
    local what=$1
    shift
    changes=$((changes + 1))
    if [ "$dry_run" = 1 ]; then
        printf 'would %s\n' "$what"
    else
        printf '%s\n' "$what"
        "$@"
    fi
}

owner() { # owner USER:GROUP PATH: only on a real system, where the user exists
    [ -n "$root" ] && return 0
    [ "$(stat -c %U:%G "$2")" = "$1" ] || change "chown $1 $2" chown "$1" "$2"
}

ensure_dir() { # ensure_dir PATH MODE USER:GROUP
    local path=$1 mode=$2 own=$3
    if [ ! -d "$path" ]; then
        if [ -n "$root" ]; then
            change "create $path ($mode $own)" install -d -m "$mode" "$path"
        else
            change "create $path ($mode $own)" install -d -m "$mode" -o "${own%:*}" -g "${own#*:}" "$path"
        fi
        return 0
    elif [ "$(stat -c %a "$path")" != "${mode#0}" ]; then
        change "chmod $mode $path" chmod "$mode" "$path"
    fi
    owner "$own" "$path"
}

ensure_file() { # ensure_file SOURCE DEST MODE: DEST gets SOURCE's content and MODE, owned by root
    local src=$1 dest=$2 mode=$3
    if [ ! -e "$dest" ]; then
        change "install $dest" install -m "$mode" "$src" "$dest"
    elif ! cmp -s "$src" "$dest"; then
        change "update $dest" install -m "$mode" "$src" "$dest"
    elif [ "$(stat -c %a "$dest")" != "${mode#0}" ]; then
        change "chmod $mode $dest" chmod "$mode" "$dest"
    else
        return 1 # unchanged
    fi
    [ "$dry_run" = 1 ] || owner root:root "$dest"
}

ensure_absent_only() { # ensure_absent_only SOURCE DEST MODE: install only when DEST does not exist yet
    [ -e "$2" ] && return 0
    change "install $2" install -m "$3" "$1" "$2"
}

ensure_link() { # ensure_link TARGET LINK
    [ "$(readlink "$2" 2>/dev/null)" = "$1" ] && return 0
    change "link $2 -> $1" ln -sfn "$1" "$2"
}

# --- The user and folders --------------------------------------------------------------------------------------------
if [ -z "$root" ] && ! getent passwd lawha >/dev/null; then
    change "create system user lawha" useradd --system --user-group --home-dir /var/lib/lawha --no-create-home \
        --shell /usr/sbin/nologin --comment "Lawha server control panel" lawha
fi
for dir in /etc /etc/nginx /etc/nginx/conf.d /etc/nginx/sites-available /etc/nginx/sites-enabled \
    /etc/systemd/system /etc/logrotate.d /etc/polkit-1/rules.d /usr/local/bin /var/lib /var/backups /var/log /var/www; do
    [ -d "$(p $dir)" ] || change "create $(p $dir)" mkdir -p "$(p $dir)"
done
ensure_dir "$(p /etc/lawha)" 0750 root:lawha
ensure_dir "$(p /etc/lawha/tls)" 0750 root:lawha
ensure_dir "$(p /var/lib/lawha)" 0750 lawha:lawha
# The cert worker's certificates and ACME account keys (certificates.dir); nginx's master reads them as root.
ensure_dir "$(p $certificates)" 0700 lawha:lawha
ensure_dir "$(p /var/backups/lawha)" 0750 lawha:lawha
ensure_dir "$(p /var/log/lawha)" 0750 lawha:lawha
# The deploy worker writes the deployed sites' upstream files here; nginx includes them.
ensure_dir "$(p /etc/nginx/lawha-sites)" 0755 lawha:lawha
# ...and may reload nginx (that one verb on that one unit) through polkit.
ensure_file "$repo/ops/polkit/50-lawha-nginx-reload.rules" "$(p /etc/polkit-1/rules.d/50-lawha-nginx-reload.rules)" 0644 || true
# Sites with the systemd runtime run as transient units of lawha's own systemd (systemd-run --user), which must
# run without a login session.
if [ -z "$root" ] && command -v loginctl >/dev/null && [ -d /run/systemd/system ] \
    && [ ! -e /var/lib/systemd/linger/lawha ]; then
    change "let lawha's user services run without a session (loginctl enable-linger lawha)" loginctl enable-linger lawha
fi
# The cert worker writes ACME challenges here (certificates.webroot); nginx (www-data) serves them on port 80.
ensure_dir "$(p /var/www/acme)" 0755 lawha:lawha

# --- Binaries and units ----------------------------------------------------------------------------------------------
for src in "${binaries[@]}"; do
    if ensure_file "$src" "$(p /usr/local/bin/"$(basename "$src")")" 0755; then restart_units=1; fi
done
for unit in "${units[@]}"; do
    if ensure_file "$repo/ops/systemd/$unit" "$(p /etc/systemd/system/"$unit")" 0644; then restart_units=1; fi
done

# --- Configuration: created once, then the operator's ---------------------------------------------------------------
if [ ! -e "$env_file" ]; then
    cat >"$work/lawha.env" <<EOF
# Lawha's configuration, read by the lawha units (EnvironmentFile=). Root only (mode 0600): it holds secrets.
# Created by ops/install.sh, which never overwrites it. Every setting is described in README.md, "Configuration".
LAWHA_ENV=production
LAWHA_LISTEN=127.0.0.1:8080
LAWHA_DATA_DIR=/var/lib/lawha

# PostgreSQL (required). A database on this machine, reached over its Unix socket as the role lawha, needs no
# password: as postgres, run  createuser lawha && createdb -O lawha lawha
#LAWHA_DATABASE_URL=postgres://lawha@localhost/lawha?host=/run/postgresql

# Redis (required) for the job queues.
LAWHA_REDIS_URL=redis://127.0.0.1:6379/0

# The audit chain's key, generated at installation. Keep a copy with your backups: without it the existing log
# cannot be verified. Never change it on a panel that has data.
LAWHA_SECRET_KEY=$(openssl rand -hex 32)
EOF
    ensure_absent_only "$work/lawha.env" "$env_file" 0600
fi

# The upstream: port 8080 for the systemd units. ops/bluegreen.sh rewrites it (8081/8082) on compose hosts.
printf 'server 127.0.0.1:8080;\n' >"$work/lawha-upstream.conf"
[ -e "$(p /etc/nginx/lawha-upstream.conf)" ] || nginx_changed=1
ensure_absent_only "$work/lawha-upstream.conf" "$(p /etc/nginx/lawha-upstream.conf)" 0644

# A self-signed placeholder, so that nginx starts and serves the first ACME challenge; the site names it until the
# panel's own certificate is issued and its id given with --certificate-id.
tls=$(p /etc/lawha/tls)
if [ ! -e "$tls/fullchain.pem" ] || [ ! -e "$tls/privkey.pem" ]; then
    nginx_changed=1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 90 -subj "/CN=$domain" \
        -addext "subjectAltName=DNS:$domain" -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
    change "create a self-signed placeholder certificate for $domain in $tls" \
        install -m 0600 "$work/privkey.pem" "$work/fullchain.pem" -t "$tls"
    [ "$dry_run" = 1 ] || chmod 0644 "$tls/fullchain.pem"
fi

# --- nginx and logrotate ---------------------------------------------------------------------------------------------
if [ -n "$certificate_id" ]; then
    certificate="s#$certificates/CERTIFICATE_ID/#$certificates/$certificate_id/#g"
else
    certificate="s#$certificates/CERTIFICATE_ID/#/etc/lawha/tls/#g"
fi
sed "s/panel\.example\.com/$domain/g; $certificate" "$repo/ops/nginx/lawha.conf" >"$work/site"
if ensure_file "$work/site" "$site" 0644; then nginx_changed=1; fi
if ensure_file "$repo/ops/nginx/lawha-http.conf" "$(p /etc/nginx/conf.d/lawha-http.conf)" 0644; then nginx_changed=1; fi
if [ "$(readlink "$(p /etc/nginx/sites-enabled/lawha)" 2>/dev/null)" != /etc/nginx/sites-available/lawha ]; then
    nginx_changed=1
fi
ensure_link /etc/nginx/sites-available/lawha "$(p /etc/nginx/sites-enabled/lawha)"
ensure_file "$repo/ops/logrotate/lawha" "$(p /etc/logrotate.d/lawha)" 0644 || true

if [ "$changes" = 0 ]; then
    printf 'nothing to change\n'
elif [ "$dry_run" = 1 ]; then
    printf 'dry run: %d changes to make\n' "$changes"
else
    printf '%d changes made\n' "$changes"
fi
[ -z "$root" ] || exit 0

# --- Services (a real system only) -----------------------------------------------------------------------------------
run() { # run COMMAND...: printed, and only printed under --dry-run
    if [ "$dry_run" = 1 ]; then printf 'would run: %s\n' "$*"; else printf 'run: %s\n' "$*"; "$@"; fi
}

run systemctl daemon-reload
if [ "$dry_run" = 1 ]; then
    echo "would run: nginx -t"
elif ! nginx -t 2>"$work/nginx-t"; then
    cat "$work/nginx-t" >&2
    die "nginx rejects the configuration (see above); nothing was started"
fi
[ "$start" = 1 ] || { echo "not started (--no-start)"; exit 0; }

run systemctl enable --quiet nginx
if [ "$nginx_changed" = 1 ]; then run systemctl reload-or-restart nginx; else run systemctl start nginx; fi

# The configuration as the units will read it (plain KEY=value lines; systemd would also strip quotes). Exit 78
# lists every problem, e.g. no LAWHA_DATABASE_URL yet on a fresh install.
if [ "$dry_run" = 1 ]; then
    echo "would run: lawha config check (with $env_file)"
elif ! (
    while IFS= read -r line; do
        case $line in '' | '#'*) continue ;; esac
        export "${line%%=*}=${line#*=}"
    done <"$env_file"
    exec /usr/local/bin/lawha config check >/dev/null
); then
    die "lawha was installed but not started: complete $env_file, then run: systemctl enable --now ${units[*]}"
fi
# A unit restarts when this run changed a binary or unit, or when its process still runs a binary that an earlier,
# interrupted run replaced (its /proc/PID/exe then reads "… (deleted)"); otherwise `start` leaves it running.
replaced_binary() {
    local pid
    pid=$(systemctl show --property MainPID --value "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$pid" != 0 ] && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *" (deleted)" ]]
}
for unit in "${units[@]}"; do
    run systemctl enable --quiet "$unit"
    if [ "$restart_units" = 1 ] || replaced_binary "$unit"; then
        run systemctl restart "$unit"
    else
        run systemctl start "$unit"
    fi
done
