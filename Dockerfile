# syntax=docker/dockerfile:1
#
# Passerelle in one container: the gateway on embedded SQLite kept in the /data volume (or Postgres,
# with DATABASE_URL=postgres://…). Step by step, with a reverse proxy: docs/deployment.md.
#
#   docker build -t passerelle .
#   docker run -d --name passerelle -p 127.0.0.1:8080:8080 -v passerelle-data:/data \
#     --env-file /etc/passerelle/passerelle.env passerelle
#
# The sources are TypeScript run through tsx (a runtime dependency): there is no build step, so the
# image holds the sources, the production dependencies and nothing else.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- Stage 1: production dependencies. better-sqlite3 downloads a prebuilt binary when one fits the
# platform, and compiles itself otherwise: the compiler is needed here only.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# --- Stage 2: the runtime. Same base image as stage 1, so the native module matches its libc and Node.
# Compiles the TypeScript sources to dist/ (dev dependencies only here; no native build needed):
# the image then runs plain JavaScript, about 40 MB less memory than compiling at run time.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=8080 \
  DATABASE_URL=sqlite:/data/passerelle.db
WORKDIR /app
# A dedicated user with a fixed uid, so a bind-mounted /data can be given to it (chown 10001).
RUN groupadd --system --gid 10001 passerelle \
  && useradd --system --uid 10001 --gid passerelle --home-dir /data --shell /usr/sbin/nologin passerelle \
  && mkdir -p /data \
  && chown passerelle:passerelle /data \
  && chmod 0700 /data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
# After src: newer than every source file, so bin/passerelle.js runs the compiled code.
COPY --from=build /app/dist ./dist
COPY kb ./kb
USER passerelle
# The SQLite database, its WAL, and the web chat signing key (webchat-secret) live here.
VOLUME ["/data"]
EXPOSE 8080
# /healthz answers as soon as the process serves HTTP (node's fetch: no curl in a slim image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# start applies pending migrations itself; on SIGTERM it finishes the work in flight within
# SHUTDOWN_TIMEOUT_MS (10 s): give `docker stop` more than that (docker stop -t 30).
STOPSIGNAL SIGTERM
CMD ["node", "bin/passerelle.js", "start"]
