# syntax=docker/dockerfile:1
# Build: compile TypeScript with dev dependencies; native sqlite3 links the system libsqlite3.
FROM node:26.10.0-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_sqlite=/usr
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm run build && npm prune --omit=dev

# Runtime: slim, non-root, SQLite file on a volume.
FROM node:26.10.0-bookworm-slim
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 ffmpeg tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /app/data && chown node:node /app/data
ENV NODE_ENV=production STORE_URL=sqlite:///app/data/vidu.sqlite
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
VOLUME ["/app/data"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
