# normsbot: build the wheel with compiled catalogs, then run it as a non-root user.
#   docker build -t normsbot .
#   docker run -d --name normsbot -e TELEGRAM_BOT_TOKEN=... -e NORMSBOT_ADMINS=123 \
#       -v normsbot-data:/data normsbot
FROM python:3.11-slim AS build
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

FROM python:3.11-slim
# Fonts with the glyphs of every member state's script, for the charts' labels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 normsbot && mkdir /data && chown normsbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV DATABASE_URL=sqlite:////data/normsbot.db \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER normsbot
WORKDIR /data
ENTRYPOINT ["normsbot"]
CMD ["run"]
