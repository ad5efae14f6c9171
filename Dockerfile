# normsbot: build the wheel with compiled catalogs, then run it as a non-root user.
#   docker build -t normsbot .
#   docker run -d --name normsbot -e TELEGRAM_BOT_TOKEN=... -e NORMSBOT_ADMINS=123 \
#       -v normsbot-data:/data normsbot
# The base image is pinned to an exact release, so that a rebuild is the same image; move the
# pin on purpose (both stages).
FROM python:3.11.14-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir "babel>=2.15" "hatchling>=1.25" build
COPY pyproject.toml README.md babel.cfg ./
COPY bot ./bot
COPY fakegram ./fakegram
COPY checklist ./checklist
COPY locales ./locales
# Compiled catalogs (.mo) are built here, never committed.
RUN pybabel compile -d locales -D messages \
    && pybabel compile -d locales -D checklist
RUN python -m build --wheel --outdir /wheels

FROM python:3.11.14-slim-bookworm
# Fonts with the glyphs of every member state's script, for the charts' labels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 normsbot && mkdir /data && chown normsbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# Webhook mode (NORMSBOT_WEBHOOK_URL set) listens on every address of the container, for the
# proxy in front; when polling, /readyz is served on the container's loopback for HEALTHCHECK.
ENV DATABASE_URL=sqlite:////data/normsbot.db \
    NORMSBOT_LISTEN=0.0.0.0:8080 \
    NORMSBOT_HEALTH_LISTEN=127.0.0.1:8081 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8080
# Ready: the database at the newest migration and Telegram answering (`normsbot healthcheck`
# asks /readyz; one line, exit 0 or 1).
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["normsbot", "healthcheck"]
USER normsbot
WORKDIR /data
ENTRYPOINT ["normsbot"]
CMD ["run"]
