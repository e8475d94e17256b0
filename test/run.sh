#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, starts a registry on 127.0.0.1, runs every test
# against real containers, and cleans up after itself even when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

. scripts/scratch.sh
scratch_init conman-test
scratch_registry
export CONMAN_TEST_REGISTRY=$SCRATCH_REGISTRY
echo "test registry on $CONMAN_TEST_REGISTRY; scratch in $CONMAN_TEST_TMP"

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/unit/*.test.ts test/*.test.ts)
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
