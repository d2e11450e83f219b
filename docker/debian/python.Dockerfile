# The Python the project's Dockerfile builds on (its PYTHON_IMAGE), from Debian's own packages: made on
# the base that docker/build-and-up.sh imports from debootstrap, so no image registry is needed.
ARG BASE=gatekeeper-debian:bookworm
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-pip python-is-python3 \
       ca-certificates libgomp1 \
    && rm -rf /var/lib/apt/lists/*
