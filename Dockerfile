# bourse's app image: the Temporal worker, the price consumer, the order-events consumer, the API and
# the one-shot setup, as JavaScript compiled by `npm run build` (no tsx, no dev dependencies, no bench,
# chaos or test code). test/integration/platform/image-steps.test.ts replays these steps without Docker.
# glibc base (Debian bookworm): the Temporal core bridge ships glibc binaries, not musl.
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
COPY web ./web
# The build's own commands (scripts/ops/build.ts and what it imports); none of scripts/ ships.
COPY scripts ./scripts
# dist/: the compiled entry points, dist/workflow-bundle.js, and the trading page.
RUN npm run build

FROM node:24.22.3-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24.22.3-bookworm-slim AS app
# The workflow bundle built above: a worker loads it instead of bundling workflows/ at every start.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
# Nothing is written under /app at run time: the manifests mount the root filesystem read-only.
USER node
# docker-compose.yml and deploy/kubernetes pick the process: node dist/<the entry point>.js.
CMD ["node", "dist/api/server.js"]
