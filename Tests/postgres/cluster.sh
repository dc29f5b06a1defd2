#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for the tests.
#
#   Tests/postgres/cluster.sh start DIR   → initdb (if needed) + start; prints the URL to use
#                                           as HERALD_TEST_POSTGRES_URL
#   Tests/postgres/cluster.sh restart DIR → stop and start again on the same port (fast)
#   Tests/postgres/cluster.sh stop DIR    → stop (the folder can then be deleted)
#
# Uses Debian's postgresql (installed when missing). As root, the server runs as `postgres`.
set -euo pipefail

command="${1:?usage: cluster.sh start|restart|stop DIR}"
dir="${2:?usage: cluster.sh start|restart|stop DIR}"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Tests need no durability across a machine crash: fsync is off unless HERALD_PG_DURABLE=1
# (benchmarks), which keeps PostgreSQL's durable defaults.
pg_ctl_start() {
    local port options
    port="$(cat "$dir/port")"
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=1000"
    [ "${HERALD_PG_DURABLE:-0}" = 1 ] || options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" start >&2
}

case "$command" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' > "$dir/port"
    fi
    pg_ctl_start
    port="$(cat "$dir/port")"
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA -c \
        "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'herald') THEN CREATE ROLE herald LOGIN SUPERUSER; END IF; END \$\$;" >/dev/null
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA -c "SELECT 1 FROM pg_database WHERE datname = 'herald'" | grep -q 1 ||
        as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres -O herald herald
    echo "postgres://herald@127.0.0.1:$port/herald?sslmode=disable"
    ;;
restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2
    pg_ctl_start
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
*)
    echo "usage: cluster.sh start|restart|stop DIR" >&2
    exit 2
    ;;
esac
