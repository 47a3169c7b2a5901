# Sinau in a container: slim Python, a non-root user, the database on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SINAU_DATABASE__PATH=/data/sinau.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 sinau \
    && mkdir -p /data \
    && chown sinau:sinau /data

EXPOSE 8443
USER sinau
VOLUME ["/data"]
# Configuration comes from SINAU_* environment variables, or a config file mounted at
# /app/config.toml (or anywhere, with SINAU_CONFIG=/path/to/config.toml).
CMD ["sinau", "run"]
