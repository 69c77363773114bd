# CCR Hub image: the `hub` console script (web server, worker, operator CLI) and the
# browser's script, built here from web/src (a fresh clone has no hub/web/static/app.js).
# Secrets (the hub's signing key, Redis and SMTP passwords, ...) are mounted as files at
# run time and named by HUB_*_FILE variables; never bake them into the image.

# Stage 1: web/src bundled by esbuild from the npm packages in web/package-lock.json.
FROM node:20-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/build.mjs ./
COPY web/src ./src
RUN node build.mjs /build/app.js

# Stage 2: the hub.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the hub needs (.dockerignore keeps out .venv/, var/ with local demo tokens and
# Valkey data, node_modules, tests and docs).
COPY pyproject.toml setup.py README.md /app/
COPY hub /app/hub
COPY templates /app/templates
COPY --from=web /build/app.js /app/hub/web/static/app.js
COPY config /app/config
# pyproject.toml's package-data ships hub/store/lua/ and hub/web/static/; setup.py maps the
# top-level templates/ into the package as hub/templates/.
# /var/lib/hub/keys and /exports belong to the hub user, so the volumes mounted there
# (docker-compose.yml keeps generated keys in one, the audit exports in the other) are
# writable by it.
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin hub \
    && mkdir -p /var/lib/hub/keys /exports && chown hub:hub /var/lib/hub/keys /exports

USER hub
EXPOSE 8080
CMD ["hub", "serve"]
