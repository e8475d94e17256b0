#!/usr/bin/env bash
# The test suite: installs what it needs, builds, starts a registry on 127.0.0.1, runs every test against
# real containers, and cleans up after itself even when a test fails.
#   bash test/run.sh              the whole suite (npm test, CI): type check and lint first, then the unit
#                                 tier (test/unit: no root, runc or registry), then everything else
#   bash test/run.sh FILE...      just these files (unit files first), without the type check and lint
# The unit tier runs before the machine is set up and the registry starts, so that a broken parser or
# template fails in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

files=("$@")
whole=0
if [ ${#files[@]} -eq 0 ]; then
  whole=1
  files=(test/unit/*.test.ts test/*.test.ts)
fi
unit=()
rest=()
for f in "${files[@]}"; do
  case "$f" in
    test/unit/* | ./test/unit/* | */test/unit/*) unit+=("$f") ;;
    *) rest+=("$f") ;;
  esac
done

# the node modules and the native addon first: the type check, the linter and the unit tier need nothing
# else (setup.sh checks both again; the build rebuilds the addon when its sources change)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
[ -f native/build/Release/conman_native.node ] || npm run --silent build:native
if [ $whole = 1 ]; then
  echo "type check (tsc --noEmit)"
  npx tsc --noEmit -p .
  echo "lint (eslint)"
  npx eslint
fi

. scripts/scratch.sh
scratch_init conman-test
run_tests() { node --import tsx --test --test-concurrency=2 --test-reporter=spec "$@"; }

if [ ${#unit[@]} -gt 0 ]; then
  echo "unit tier: ${#unit[@]} files"
  run_tests "${unit[@]}"
fi
[ ${#rest[@]} -gt 0 ] || exit 0

bash scripts/setup.sh
scratch_registry
export CONMAN_TEST_REGISTRY=$SCRATCH_REGISTRY
echo "test registry on $CONMAN_TEST_REGISTRY; scratch in $CONMAN_TEST_TMP"
run_tests "${rest[@]}"
