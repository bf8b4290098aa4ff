# bourse's app image: the Temporal worker, the price consumer, the API and the one-shot setup.
# glibc base (Debian bookworm): the Temporal core bridge ships glibc binaries, not musl.
FROM node:20.19.5-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The trading page, built with the dev dependencies (esbuild, lightweight-charts) that the app does not ship.
FROM node:20.19.5-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./web
COPY scripts/web ./scripts/web
RUN npm run build:web

FROM node:20.19.5-bookworm-slim AS app
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
COPY scripts ./scripts
COPY --from=web /app/dist/web ./dist/web
USER node
# docker-compose.yml picks the process; these are the same commands `npm start` runs.
CMD ["node", "--import", "tsx", "api/server.ts"]
