# sidestream agent image: `docker build -t sidestream .`, then
#   docker run --rm -p 9464:9464 sidestream                      # the demo, status page on :9464
#   docker run --rm -p 9464:9464 -v "$PWD/jobs:/app/jobs:ro" -e SIDESTREAM_HTTP_TOKEN=... \
#     sidestream run /app/jobs/clicks.mjs --config /app/jobs/sidestream.yaml
# Jobs go under /app (for example /app/jobs) so that `import ... from 'sidestream'` resolves to this
# installation. See docs/deployment.md (and examples/kubernetes/sidecar.yaml for a sidecar).

# ---- build: dependencies from the lock file, TypeScript to dist/, then only what runs -------------
FROM node:20-slim AS build
WORKDIR /src
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build bundles the status page's browser script with these (esbuild, a devDependency).
COPY scripts/status-page-bundle.ts scripts/build-status-page.ts ./scripts/
RUN npm run build && npm prune --omit=dev --ignore-scripts

# ---- runtime: node:20-slim, non-root, no compiler, no dev dependencies ---------------------------
FROM node:20-slim AS runtime
# Inside a container the agent must listen on all interfaces to be scraped and probed. The agent
# warns at start while no token is set; set SIDESTREAM_HTTP_TOKEN (docs/deployment.md).
ENV NODE_ENV=production \
    SIDESTREAM_HTTP=0.0.0.0:9464
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY README.md ./
COPY scripts/docker-healthcheck.cjs ./scripts/docker-healthcheck.cjs
# `sidestream` on the PATH, the package resolvable by name from job modules under /app, and a
# writable directory for --checkpoint-dir (mount a volume there; see docs/deployment.md).
RUN chmod +x dist/agent/cli.js \
 && ln -s /app/dist/agent/cli.js /usr/local/bin/sidestream \
 && ln -s /app /app/node_modules/sidestream \
 && mkdir -p /var/lib/sidestream /app/jobs \
 && chown node:node /var/lib/sidestream
USER node
VOLUME ["/var/lib/sidestream"]
EXPOSE 9464
# /healthz is open even when a token guards / and /api/* (see docs/deployment.md).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "/app/scripts/docker-healthcheck.cjs"]
# node is PID 1 and the agent handles SIGTERM itself: a graceful stop within --shutdown-timeout.
ENTRYPOINT ["sidestream"]
CMD ["demo"]
