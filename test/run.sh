#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, starts a registry on 127.0.0.1, runs every test
# against real containers, and cleans up after itself even when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export CONMAN_TEST_TMP
CONMAN_TEST_TMP=$(mktemp -d /tmp/conman-test.XXXXXX)
registry_pid=
cleanup() {
  set +e
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  bash scripts/cleanup-tree.sh "$CONMAN_TEST_TMP"
}
trap cleanup EXIT INT TERM

read -r CONMAN_TEST_REGISTRY registry_pid < <(node --import tsx test/lib/fixture.ts)
export CONMAN_TEST_REGISTRY
echo "test registry on $CONMAN_TEST_REGISTRY (pid $registry_pid); scratch in $CONMAN_TEST_TMP"

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/unit/*.test.ts test/*.test.ts)
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
