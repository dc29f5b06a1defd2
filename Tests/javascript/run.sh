#!/usr/bin/env bash
# The JavaScript client (Sources/HeraldServer/SDK/herald.js) against a herald binary: node's own
# test runner, no npm package. Each test starts the binary on a random loopback port.
# Debian's nodejs is installed when `node` is missing, and node-typescript (tsc) for the test
# that type-checks herald.d.ts.
#
#   HERALD_BIN=/path/to/herald bash Tests/javascript/run.sh [node --test arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="javascript client test"
source "$here/../lib.sh"

command -v node >/dev/null || install_debian_packages nodejs
command -v tsc >/dev/null || install_debian_packages node-typescript
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 18 ] || { echo "$name: node $(node --version) is too old: herald.js needs node ≥ 18" >&2; exit 1; }

# Two test files at a time on two cores (the flag exists from node 20.10; older ones pick their own).
concurrency=()
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 10) ? 0 : 1)' \
    && concurrency=(--test-concurrency=2)
cd "$root"
HERALD_BIN="$herald" exec node --test "${concurrency[@]}" "$@" Tests/javascript/
