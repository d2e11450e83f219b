#!/usr/bin/env bash
# Build every image from Debian packages (no image registry needed), bring the compose stack up, and
# check it: it serves, an upload is analysed by the worker, and it does so again after a restart.
#   sudo docker/build-and-up.sh            # from the repository root or anywhere
# Needs Debian's mirror and PyPI. Installs docker.io, docker-compose and debootstrap when missing and
# starts dockerd when no daemon answers.
set -euo pipefail
cd "$(dirname "$0")"
BASE=gatekeeper-debian:bookworm
PYTHON_IMAGE=gatekeeper-python:3.11-bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
COMPOSE=(docker-compose -p photo-gatekeeper -f compose.yaml -f compose.debian.yaml --env-file .env)
say() { printf '\n== %s\n' "$*"; }

missing=()
command -v docker >/dev/null || missing+=(docker.io)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: /var/log/dockerd.log)"
    dockerd >/var/log/dockerd.log 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log; echo "dockerd did not start" >&2; exit 1; }
fi

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    say "debootstrap bookworm from $MIRROR, imported as $BASE"
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" "$MIRROR"
    # The host's own CAs (a TLS-inspecting proxy's, say): ca-certificates, installed by the images
    # built on this base, trusts them too, so pip in those builds reaches PyPI as the host does.
    if [ -d /usr/local/share/ca-certificates ]; then
        mkdir -p "$root/usr/local/share/ca-certificates"
        cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
    fi
    tar -C "$root" -c . | docker import - "$BASE"
    rm -rf "$root"
fi

say "images"
docker build -q -t "$PYTHON_IMAGE" --build-arg BASE="$BASE" -f debian/python.Dockerfile .
for target in postgres redis s3; do
    tag=$([ $target = postgres ] && echo gatekeeper-postgres:15 || echo gatekeeper-$target:bookworm)
    docker build -q -t "$tag" --target $target --build-arg BASE="$BASE" -f debian/services.Dockerfile .
done
docker build -q -t photo-gatekeeper:local --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" -f Dockerfile ..

if [ ! -f .env ]; then
    say "writing docker/.env with fresh passwords"
    secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    umask 077
    cat > .env <<ENV
COMPOSE_PROJECT_NAME=photo-gatekeeper
POSTGRES_PASSWORD=$(secret)
REDIS_PASSWORD=$(secret)
MINIO_ROOT_USER=gatekeeper-admin
MINIO_ROOT_PASSWORD=$(secret)
S3_APP_ACCESS_KEY=gatekeeper-app
S3_APP_SECRET_KEY=$(secret)
PUBLIC_URL=https://photos.example.org
TRUSTED_PROXY_HOPS=1
ENV
fi

ready() {
    for _ in $(seq 90); do
        if curl -fsS http://127.0.0.1:8000/readyz; then echo; return 0; fi
        sleep 2
    done
    "${COMPOSE[@]}" ps; "${COMPOSE[@]}" logs --tail 30 app worker; return 1
}

say "compose up"
"${COMPOSE[@]}" up -d
ready
"${COMPOSE[@]}" exec -T app python /usr/local/lib/gatekeeper/smoke_upload.py

say "compose restart"
# The long-running services only, as a reboot restarts them: `restart` with no names also reruns init
# and createbuckets at the same moment as the database and the store stop, and they fail.
"${COMPOSE[@]}" restart postgres redis minio app worker
ready
"${COMPOSE[@]}" exec -T app python /usr/local/lib/gatekeeper/smoke_upload.py
say "the stack serves, analyses uploads on its worker, and survived a restart"
