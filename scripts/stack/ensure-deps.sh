#!/usr/bin/env bash
# Installs what bourse's npm scripts need and the machine lacks:
#   always      Node.js from .node-version (scripts/stack/node.sh, into .stack/tools/node-<version>), which
#               runs the rest; npm packages from package-lock.json (npm ci) when missing or older than the
#               lockfile, and the trading page (npm run build:web) when dist/web is missing or older than
#               its sources
#   with "test" Debian's docker-compose (v1), used only to validate docker-compose.yml statically
# Temporal, Kafka and Redis themselves are provisioned by scripts/stack/local-stack.ts on first start.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v npm >/dev/null || { echo "bourse needs npm (Node.js 20 or newer: https://nodejs.org) to install its Node.js $(cat .node-version) — or run: docker compose up" >&2; exit 1; }
version="v$(tr -d '[:space:]' < .node-version)"
if [ "$(node --version 2>/dev/null)" != "$version" ]; then
  exec bash scripts/stack/node.sh bash scripts/stack/ensure-deps.sh "$@"
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[bourse] installing npm packages (npm ci) on Node.js $version"
  npm ci --no-audit --no-fund
fi
npx tsx scripts/web/build.ts --if-stale
if [ "${1:-}" = "test" ] && ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[bourse] installing Debian's docker-compose (to validate docker-compose.yml)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  else
    echo "bourse's tests need docker-compose to validate docker-compose.yml: apt-get install docker-compose" >&2
    exit 1
  fi
fi
