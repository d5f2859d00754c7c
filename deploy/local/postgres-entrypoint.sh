#!/bin/bash
# First start: a cluster owned by POSTGRES_USER with POSTGRES_PASSWORD (scram), POSTGRES_DB, then the scripts of
# /docker-entrypoint-initdb.d; every start: the server in the foreground on 127.0.0.1:$PGPORT.
set -euo pipefail
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" > "$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
           --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    pg_ctl -o "-c listen_addresses='' -p $PGPORT" -w start >/dev/null
    db=${POSTGRES_DB:-$user}
    if [ "$db" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -c "CREATE DATABASE \"$db\""
    fi
    for script in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$script" ] && psql -v ON_ERROR_STOP=1 --username="$user" --dbname="$db" -f "$script"
    done
    pg_ctl -m fast -w stop >/dev/null
fi
echo "database system is ready: 127.0.0.1:$PGPORT"
exec postgres -c listen_addresses=127.0.0.1 -p "$PGPORT"
