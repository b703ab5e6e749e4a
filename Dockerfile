# syntax=docker/dockerfile:1
# The hub's own image: one image for all its processes; docker-compose.yml picks the command
# (`hub worker`, `hub gateway`, `hub projector`, `hub api`, `hub migrate`, `hub topics apply`).

# ---- build: wheels for the project and its dependencies (compilers stay out of the runtime)
FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY schemas ./schemas
COPY projections ./projections
COPY ops ./ops
RUN pip wheel --wheel-dir /wheels .

# ---- runtime
FROM python:3.11.14-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HUB_STATE_DIR=/var/lib/hub
RUN groupadd --system --gid 10001 hub \
    && useradd --system --uid 10001 --gid hub --home-dir /home/hub --create-home \
       --shell /usr/sbin/nologin hub \
    && install -d -o hub -g hub -m 0750 /var/lib/hub
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels safeguarding-hub \
    && pip check
COPY --chmod=0755 ops/compose/hub-entrypoint.sh /usr/local/bin/hub-entrypoint
USER hub:hub
WORKDIR /home/hub
# 8080 read API and web, 8081 ingest gateway, 9101-9104 /metrics of worker, gateway, projector, api.
EXPOSE 8080 8081 9101 9102 9103 9104
ENTRYPOINT ["/usr/local/bin/hub-entrypoint"]
CMD ["hub", "--help"]
