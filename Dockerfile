# CCR Hub image: the `hub` console script (web server, worker, operator CLI).
# Secrets (SMTP password, SMS token, ...) are mounted as files at run time and named by
# HUB_*_FILE variables; never bake them into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the hub needs: not .venv/ or var/ (local demo tokens and Valkey data).
COPY pyproject.toml README.md /app/
COPY hub /app/hub
COPY config /app/config
# pyproject.toml's package-data ships hub/store/lua/*.lua and hub/templates/ in the wheel.
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin hub \
    && mkdir /exports && chown hub /exports  # the audit-export job writes here (compose)

USER hub
EXPOSE 8080
CMD ["hub", "serve"]
