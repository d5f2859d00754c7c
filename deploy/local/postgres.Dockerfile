# Boucle's local stand-in for postgres:16, built from Debian's packages (scripts/containers.sh): bookworm's
# PostgreSQL 15, with the official image's settings (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, the scripts of
# /docker-entrypoint-initdb.d) and a port of its choosing (PGPORT): it shares the host's network, where 5432 is
# taken. It listens on 127.0.0.1 only.
FROM boucle-local/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /docker-entrypoint-initdb.d /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data PGPORT=5432
USER postgres
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
