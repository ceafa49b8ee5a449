# syntax=docker/dockerfile:1
# Reproducible: exact node tag below (no digest could be verified offline; pin one with
# `docker buildx imagetools inspect node:26.10.0-bookworm-slim` where a registry is reachable),
# exact dependency versions from package-lock.json via `npm ci`.
# Build: compile TypeScript with dev dependencies; native sqlite3 links the system libsqlite3.
FROM node:26.10.0-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_sqlite=/usr
# Sources before `npm ci`: its `prepare` script compiles them (dist/), once, at install.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime: slim, non-root, SQLite file on a volume.
FROM node:26.10.0-bookworm-slim
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 ffmpeg tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /app/data && chown node:node /app/data
# HTTP_HOST: listen beyond the container's loopback so the orchestrator can reach /healthz.
ENV NODE_ENV=production STORE_URL=sqlite:///app/data/vidu.sqlite HTTP_HOST=0.0.0.0 HTTP_PORT=8080
EXPOSE 8080
# /healthz is 200 only while the store answers and every gateway shard is ready (503 otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
VOLUME ["/app/data"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
