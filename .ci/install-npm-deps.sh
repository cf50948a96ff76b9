#!/bin/sh
# Installs the npm dependencies with `npm ci`, but only when node_modules does not already hold what
# package-lock.json pins (fresh clone, changed lock, Node upgrade): npm ci wipes node_modules first,
# which costs minutes on every test run otherwise.
set -eu
cd "$(dirname "$0")/.."
if ! node .ci/deps-current.mjs; then
  npm ci --no-audit --no-fund
fi
