#!/usr/bin/env bash
# Creates the secret files the compose files mount, in ./secrets (or DIR, or $LAWHA_SECRETS_DIR).
#
#   compose/init-secrets.sh [DIR]
#
# Only missing files are created; existing ones are never changed (PostgreSQL keeps the password it was
# initialised with, so a new one would lock Lawha out). Passwords are random hex, so they need no escaping inside
# the URLs derived from them. The URLs and the exporter's JSON are derived from the passwords in DIR, so the files
# agree with each other even when some already existed.
#
# Two files get placeholders to replace by hand: slack_webhook_url (your Slack incoming webhook) and smtp_password.
#
# Permissions: DIR is 0700 (only root on the host can list or open its files). The files themselves are 0444
# because compose (without Swarm) bind-mounts them into containers that run as different users (postgres 999,
# lawha 10001, grafana 472, nobody); the directory, not the file mode, is what keeps other host users out.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-${LAWHA_SECRETS_DIR:-$here/secrets}}
db=${POSTGRES_DB:-lawha}
user=${POSTGRES_USER:-lawha}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# create NAME CONTENT: writes DIR/NAME unless it exists.
create() {
    local file=$dir/$1
    if [[ -e $file ]]; then
        echo "kept    $file"
        return
    fi
    printf '%s' "$2" >"$file"
    chmod 0444 "$file"
    echo "created $file"
}

mkdir -p "$dir"
chmod 0700 "$dir"

create postgres_password "$(random_hex 24)"
create redis_password "$(random_hex 24)"
# At least 32 bytes, as Lawha requires: 32 random bytes, hex-encoded.
create lawha_secret_key "$(random_hex 32)"
create grafana_admin_password "$(random_hex 16)"
create lawha_database_url "postgres://$user:$(cat "$dir/postgres_password")@postgres:5432/$db"
create lawha_redis_url "redis://:$(cat "$dir/redis_password")@redis:6379/0"
create redis_exporter_passwords.json "{\"redis://redis:6379\": \"$(cat "$dir/redis_password")\"}"
create slack_webhook_url "https://hooks.slack.com/services/REPLACE/WITH/YOUR-WEBHOOK"
create smtp_password "replace-with-the-smtp-password"
