#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 (Debian's postgresql): for the PostgreSQL store tests
# in CI and for `make local-ha`.
#   deploy/postgres.sh start DIR PORT   initdb into DIR, start it, create the role and database
#                                       `mlopsd`, print the URL (postgres://mlopsd:…@127.0.0.1:PORT/mlopsd)
#   deploy/postgres.sh restart DIR PORT start a cluster made by `start` again, after `stop`
#   deploy/postgres.sh stop DIR         stop it (the directory is left for the caller to remove)
# As root the cluster runs as the `postgres` user; otherwise as whoever runs the script.
set -euo pipefail
command=$1
directory=$2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    as_postgres() { runuser -u postgres -- "$@"; }
else
    owner=$(id -un)
    as_postgres() { "$@"; }
fi

# Loopback only, and no fsync: the data is thrown away with the directory.
run_server() { # port
    as_postgres "$bin/pg_ctl" --pgdata="$directory/data" --log="$directory/data/server.log" --wait start \
        -o "-c listen_addresses=127.0.0.1 -c port=$1 -c unix_socket_directories=$directory/data -c fsync=off -c max_connections=200" >/dev/null
}

case "$command" in
start)
    port=$3
    install -d -o "$owner" -m 0700 "$directory/data"
    password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    (umask 077 && printf '%s\n' "$password" >"$directory/password")
    chown "$owner" "$directory/password"
    as_postgres "$bin/initdb" --pgdata="$directory/data" --auth=scram-sha-256 --username=postgres \
        --pwfile="$directory/password" --encoding=UTF8 --locale=C.UTF-8 >"$directory/initdb.log"
    rm -f "$directory/password"
    run_server "$port"
    PGPASSWORD=$password "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE mlopsd LOGIN CREATEDB PASSWORD '$password'" -c "CREATE DATABASE mlopsd OWNER mlopsd" >/dev/null
    echo "postgres://mlopsd:$password@127.0.0.1:$port/mlopsd?sslmode=disable"
    ;;
restart)
    run_server "$3"
    ;;
stop)
    [ -d "$directory/data" ] && as_postgres "$bin/pg_ctl" --pgdata="$directory/data" --mode=fast --wait stop >/dev/null || true
    ;;
*)
    echo "usage: $0 start DIR PORT | restart DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
