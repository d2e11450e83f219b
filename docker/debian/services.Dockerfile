# The backing services of docker/compose.yaml from Debian packages (see docker/compose.debian.yaml):
# PostgreSQL 15, Redis, and an S3 store (moto's server, the one the test suite uses).
ARG BASE=gatekeeper-debian:bookworm

FROM ${BASE} AS postgres
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 PGDATA=/var/lib/postgresql/data
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data /run/postgresql
COPY debian/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
USER postgres
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]

FROM ${BASE} AS redis
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* && install -d -o redis -g redis /data
USER redis
WORKDIR /data
EXPOSE 6379

FROM ${BASE} AS s3
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/moto && /opt/moto/bin/pip install --no-cache-dir "moto[s3,server]>=5" \
    && useradd --system --home-dir /var/lib/moto moto
COPY debian/s3_server.py /usr/local/lib/s3_server.py
USER moto
EXPOSE 9000
CMD ["/opt/moto/bin/python", "/usr/local/lib/s3_server.py"]
