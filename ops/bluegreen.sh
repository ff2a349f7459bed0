#!/usr/bin/env bash
# Zero-downtime releases of Lawha with two compose "colours" behind nginx. Run `bluegreen.sh --help`.
#
# One colour serves while the other is idle. A release starts the idle colour with the new image tag, waits until it
# is ready, points nginx at it, lets the old colour finish its in-flight requests, then stops the old colour.
# Nothing that fails before nginx is switched reaches users: the new colour is stopped and the old one keeps
# serving. A failure while switching puts the previous upstream file back and reloads nginx.
#
# Contract with ops/nginx (part of the site's configuration): /etc/nginx/lawha-upstream.conf holds exactly one line,
# `server 127.0.0.1:8081;` (blue) or `server 127.0.0.1:8082;` (green), included inside `upstream lawha { … }`.
set -euo pipefail

readonly PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR

COMPOSE_DIR=${LAWHA_COMPOSE_DIR:-$SCRIPT_DIR/../compose}
PROJECT=${LAWHA_COMPOSE_PROJECT:-lawha}
UPSTREAM_FILE=${LAWHA_UPSTREAM_FILE:-/etc/nginx/lawha-upstream.conf}
STATE_FILE=${LAWHA_STATE_FILE:-/etc/lawha/active-colour}
STATE_DIR=$(dirname "$STATE_FILE")
LOCK_FILE=${LAWHA_LOCK_FILE:-$STATE_DIR/.bluegreen.lock}
READY_TIMEOUT=${LAWHA_READY_TIMEOUT:-120}
READY_INTERVAL=${LAWHA_READY_INTERVAL:-2}
DRAIN_SECONDS=${LAWHA_DRAIN_SECONDS:-30}
BLUE_PORT=${LAWHA_BLUE_PORT:-8081}
GREEN_PORT=${LAWHA_GREEN_PORT:-8082}
NGINX_TEST_CMD=${NGINX_TEST_CMD:-nginx -t}
# Empty means: `systemctl reload nginx` when systemd manages nginx, else `nginx -s reload` (decided when needed).
NGINX_RELOAD_CMD=${NGINX_RELOAD_CMD:-}

usage() {
    cat <<EOF
Usage: $PROG deploy TAG     start the idle colour with image tag TAG, switch nginx to it, stop the old colour
       $PROG rollback       the same with the tag the other colour ran last (the previous release)
       $PROG status         active colour, upstream, tags, and the readiness of both colours
       $PROG --help

A deploy or rollback:
  1. starts the idle colour:  docker compose -p $PROJECT -f docker-compose.shared.yml -f docker-compose.<idle>.yml up -d
     (its one-shot migrate-<idle> runs first; migrations must keep the running release working)
  2. waits until http://127.0.0.1:<port>/health/ready answers 200 (blue $BLUE_PORT, green $GREEN_PORT)
  3. rewrites the nginx upstream include atomically, runs the nginx test, reloads nginx
  4. checks the new colour once more, records it as active
  5. waits the drain period, so requests still running on the old colour finish, then stops the old colour
A failure in 1-2 stops the new colour (API and workers) and leaves nginx and the state untouched; a failure in 3-4 also restores the
previous upstream file and reloads nginx. The stopped container is kept for 'docker compose logs'.

Environment (defaults in brackets):
  LAWHA_COMPOSE_DIR      directory of the compose files [$SCRIPT_DIR/../compose]
  LAWHA_COMPOSE_PROJECT  compose project name, the same for both colours [lawha]
  LAWHA_COMPOSE_CMD      compose command [docker compose, else docker-compose]
  LAWHA_UPSTREAM_FILE    nginx upstream include [/etc/nginx/lawha-upstream.conf]
  LAWHA_STATE_FILE       active colour, one word [/etc/lawha/active-colour]; tags go beside it as <colour>.tag
  LAWHA_LOCK_FILE        serialises concurrent runs [<state dir>/.bluegreen.lock]
  LAWHA_READY_TIMEOUT    seconds to wait for /health/ready [120]
  LAWHA_READY_INTERVAL   seconds between readiness checks [2]
  LAWHA_DRAIN_SECONDS    seconds the old colour keeps running after the switch [30]
  LAWHA_BLUE_PORT        host port of blue [8081]; LAWHA_GREEN_PORT: green [8082]
  NGINX_TEST_CMD         [nginx -t]
  NGINX_RELOAD_CMD       [systemctl reload nginx if systemd runs nginx, else nginx -s reload]
Other compose variables (LAWHA_IMAGE, LAWHA_SECRETS_DIR…) come from the environment or the compose directory's .env.

Exit status: 0 done; 1 failed (the message says what still serves); 2 usage error.
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage_error() {
    log "error: $*"
    log "run '$PROG --help' for usage"
    exit 2
}

port_of() {
    case $1 in
        blue) echo "$BLUE_PORT" ;;
        green) echo "$GREEN_PORT" ;;
        *) die "unknown colour '$1'" ;;
    esac
}

other_colour() { if [[ $1 == blue ]]; then echo green; else echo blue; fi; }

upstream_line() { printf 'server 127.0.0.1:%s;' "$(port_of "$1")"; }

# The compose command as an array: LAWHA_COMPOSE_CMD, else the v2 plugin, else the standalone docker-compose.
COMPOSE=()
resolve_compose() {
    if [[ -n ${LAWHA_COMPOSE_CMD:-} ]]; then
        read -r -a COMPOSE <<<"$LAWHA_COMPOSE_CMD"
    elif docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    else
        die "neither 'docker compose' nor 'docker-compose' works; install one or set LAWHA_COMPOSE_CMD"
    fi
}

# compose COLOUR ARGS...: runs compose on the shared file plus the colour's file.
# Every command this script runs gets `9>&-`: fd 9 holds the lock, and a process that outlives the script (a
# daemon started by a reload command, say) must not keep holding it.
compose() {
    local colour=$1
    shift
    "${COMPOSE[@]}" -p "$PROJECT" \
        -f "$COMPOSE_DIR/docker-compose.shared.yml" \
        -f "$COMPOSE_DIR/docker-compose.$colour.yml" "$@" 9>&-
}

# write_atomically FILE CONTENT: readers (nginx, this script) see the old or the new file, never a partial one,
# because rename(2) within one directory is atomic.
write_atomically() {
    local file=$1 content=$2 tmp
    mkdir -p "$(dirname "$file")"
    tmp=$(mktemp "$(dirname "$file")/.${file##*/}.XXXXXX")
    printf '%s' "$content" >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$file"
}

# The active colour: the state file, else what the upstream file points at, else "none" (first release, or a
# host that ran Lawha under systemd on 8080 until now).
active_colour() {
    if [[ -s $STATE_FILE ]]; then
        local colour
        colour=$(tr -d '[:space:]' <"$STATE_FILE")
        case $colour in
            blue | green) echo "$colour" ;;
            *) die "$STATE_FILE contains '$colour', expected blue or green" ;;
        esac
        return
    fi
    if [[ -f $UPSTREAM_FILE ]]; then
        case $(tr -d '[:space:]' <"$UPSTREAM_FILE") in
            "server127.0.0.1:$BLUE_PORT;") echo blue && return ;;
            "server127.0.0.1:$GREEN_PORT;") echo green && return ;;
        esac
    fi
    echo none
}

tag_file() { echo "$STATE_DIR/$1.tag"; }

# http_status PORT: the status code of /health/ready, or 000 when nothing answers.
http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1/health/ready" 2>/dev/null || true
}

wait_ready() {
    local colour=$1 port deadline code=000
    port=$(port_of "$colour")
    deadline=$((SECONDS + READY_TIMEOUT))
    log "waiting up to ${READY_TIMEOUT}s for $colour on http://127.0.0.1:$port/health/ready"
    while ((SECONDS < deadline)); do
        code=$(http_status "$port")
        if [[ $code == 200 ]]; then
            log "$colour is ready"
            return 0
        fi
        sleep "$READY_INTERVAL"
    done
    log "$colour did not become ready within ${READY_TIMEOUT}s (last answer: ${code/#000/no answer})"
    return 1
}

reload_nginx() {
    local cmd=$NGINX_RELOAD_CMD
    if [[ -z $cmd ]]; then
        if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
            cmd="systemctl reload nginx"
        else
            cmd="nginx -s reload"
        fi
    fi
    sh -c "$cmd" 9>&-
}

# What the EXIT trap undoes when a release does not finish. PHASE moves forward as the release does:
#   idle      nothing started yet
#   starting  the new colour may run: stop it
#   switching the upstream file may point at it: restore the previous file, reload nginx, stop the new colour
#   switched  nginx serves the new colour and the state file says so: nothing to undo
#   finished  the old colour is stopped too
PHASE=idle
NEW_COLOUR=""
OLD_UPSTREAM=""      # the previous upstream file's content
OLD_UPSTREAM_EXISTED=no

undo() {
    case $PHASE in
        switching)
            log "restoring the previous upstream file and reloading nginx"
            if [[ $OLD_UPSTREAM_EXISTED == yes ]]; then
                write_atomically "$UPSTREAM_FILE" "$OLD_UPSTREAM"
            else
                rm -f "$UPSTREAM_FILE"
            fi
            reload_nginx || log "warning: reloading nginx failed; check 'nginx -t' and reload by hand"
            ;&
        starting)
            log "stopping $NEW_COLOUR (kept for: ${COMPOSE[*]} -p $PROJECT logs lawha-$NEW_COLOUR)"
            # API and workers stop together; never `stop` with no names (that stops the shared databases too).
            compose "$NEW_COLOUR" stop "lawha-$NEW_COLOUR" "lawha-backup-worker-$NEW_COLOUR" ||
                log "warning: could not stop $NEW_COLOUR; stop it by hand"
            ;;
    esac
}

on_exit() {
    local status=$?
    if ((status != 0)) && [[ $PHASE == starting || $PHASE == switching ]]; then
        undo
        local serving
        serving=$(active_colour 2>/dev/null || echo unknown)
        log "release failed; still serving: $serving"
    fi
    exit "$status"
}

release() { # release COLOUR TAG
    local new=$1 tag=$2 old port
    old=$(active_colour)
    port=$(port_of "$new")
    log "active: $old; releasing $tag on $new (127.0.0.1:$port)"

    NEW_COLOUR=$new
    PHASE=starting
    LAWHA_TAG=$tag compose "$new" up -d || die "starting $new failed (see the compose output above)"
    wait_ready "$new" || die "$new is not ready; nginx still points at the previous upstream"

    PHASE=switching
    if [[ -f $UPSTREAM_FILE ]]; then
        OLD_UPSTREAM=$(cat "$UPSTREAM_FILE")$'\n'
        OLD_UPSTREAM_EXISTED=yes
    fi
    write_atomically "$UPSTREAM_FILE" "$(upstream_line "$new")"$'\n'
    sh -c "$NGINX_TEST_CMD" 9>&- || die "'$NGINX_TEST_CMD' failed with the new upstream"
    reload_nginx || die "reloading nginx failed"
    log "nginx now sends requests to $new"
    # A process that was ready a moment ago can still crash on its first real requests: check once more before
    # declaring the release done.
    [[ $(http_status "$port") == 200 ]] || die "$new stopped answering ready right after the switch"

    write_atomically "$STATE_FILE" "$new"$'\n'
    write_atomically "$(tag_file "$new")" "$tag"$'\n'
    PHASE=switched

    if [[ $old == blue || $old == green ]]; then
        log "draining $old for ${DRAIN_SECONDS}s"
        sleep "$DRAIN_SECONDS"
        compose "$old" stop "lawha-$old" "lawha-backup-worker-$old" ||
            die "released $tag on $new, but stopping $old failed; stop it by hand"
        log "stopped $old"
    else
        log "no previous colour to stop (if Lawha ran under systemd on 8080, stop that service now)"
    fi
    PHASE=finished
    log "done: $new serves $tag"
}

cmd_deploy() {
    local tag=$1 active
    # Docker's tag grammar; it also keeps the value harmless in log lines and files.
    [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || usage_error "invalid image tag '$tag'"
    active=$(active_colour)
    if [[ $active == none ]]; then
        release blue "$tag"
    else
        release "$(other_colour "$active")" "$tag"
    fi
}

cmd_rollback() {
    local active previous file
    active=$(active_colour)
    [[ $active != none ]] || die "no active colour, nothing to roll back to"
    previous=$(other_colour "$active")
    file=$(tag_file "$previous")
    [[ -s $file ]] || die "no tag recorded for $previous ($file): deploy a tag instead"
    release "$previous" "$(tr -d '[:space:]' <"$file")"
}

cmd_status() {
    local active colour port tag
    active=$(active_colour)
    echo "active:   $active"
    if [[ -f $UPSTREAM_FILE ]]; then
        echo "upstream: $(tr -d '\n' <"$UPSTREAM_FILE") ($UPSTREAM_FILE)"
    else
        echo "upstream: missing ($UPSTREAM_FILE)"
    fi
    for colour in blue green; do
        port=$(port_of "$colour")
        tag=$(cat "$(tag_file "$colour")" 2>/dev/null || echo "-")
        echo "$colour:    tag $tag, 127.0.0.1:$port/health/ready -> $(http_status "$port" | sed 's/^000$/no answer/')"
    done
}

main() {
    case ${1:-} in
        -h | --help | help)
            usage
            return 0
            ;;
        deploy)
            [[ $# -eq 2 ]] || usage_error "deploy takes exactly one argument, the image tag"
            ;;
        rollback | status)
            [[ $# -eq 1 ]] || usage_error "$1 takes no argument"
            ;;
        "") usage_error "missing command" ;;
        *) usage_error "unknown command '$1'" ;;
    esac

    if [[ $1 == status ]]; then
        cmd_status
        return 0
    fi

    [[ -f $COMPOSE_DIR/docker-compose.shared.yml ]] || die "no docker-compose.shared.yml in $COMPOSE_DIR (set LAWHA_COMPOSE_DIR)"
    [[ $READY_TIMEOUT =~ ^[0-9]+$ && $DRAIN_SECONDS =~ ^[0-9]+$ ]] ||
        usage_error "LAWHA_READY_TIMEOUT and LAWHA_DRAIN_SECONDS must be whole seconds"
    command -v curl >/dev/null 2>&1 || die "curl is needed for the readiness checks"
    resolve_compose

    # One release at a time: two concurrent runs would pick the same idle colour.
    mkdir -p "$STATE_DIR"
    exec 9>"$LOCK_FILE"
    flock -n 9 || die "another $PROG is running (lock $LOCK_FILE)"

    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    case $1 in
        deploy) cmd_deploy "$2" ;;
        rollback) cmd_rollback ;;
    esac
}

main "$@"
