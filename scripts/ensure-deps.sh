#!/usr/bin/env bash
# Installs the npm packages from the lockfile when they are missing or older than the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "bourse needs Node.js 20 (https://nodejs.org) — or run: docker compose up" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[bourse] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
