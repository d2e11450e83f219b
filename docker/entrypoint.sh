#!/bin/sh
# Check the instance before a server or worker starts: `gatekeeper doctor` prints which part is
# wrong and why, and the container stops rather than run half-configured (a restart policy retries).
# Every other command (init, doctor, rotate-key, ...) runs as given, so an empty volume can be set up.
set -eu

case "${1:-}:${2:-}" in
    gunicorn:* | gatekeeper:serve | gatekeeper:worker)
        if ! gatekeeper doctor; then
            echo "entrypoint: 'gatekeeper doctor' failed (see above); not starting '$*'" >&2
            exit 1
        fi
        ;;
esac
exec "$@"
