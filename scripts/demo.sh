#!/usr/bin/env bash
# The demo: installs what conman needs, starts a private registry on 127.0.0.1 holding a busybox image it
# builds from Debian's busybox-static, pulls it and runs containers with conman, then cleans everything up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

. scripts/scratch.sh
scratch_init conman-demo
export CONMAN_ROOT=$CONMAN_TEST_TMP/root CONMAN_RUNROOT=$CONMAN_TEST_TMP/run
scratch_registry
img=$SCRATCH_REGISTRY/busybox:latest
c=bin/conman
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "conman $*"; "$c" "$@"; }

run pull "$img"
run images
run run --rm "$img" sh -c 'echo "Hello from a conman container: $(hostname), $(id)"; ls /'
run run -d --name demo-sleeper "$img" sh -c 'echo started; sleep 1000'
run ps
sleep 0.3
run logs demo-sleeper
run stop -t 1 demo-sleeper
run ps -a
run rm demo-sleeper
say "conman run --rm $img sh -c 'exit 3'; echo \$?"
set +e; "$c" run --rm "$img" sh -c 'exit 3'; echo "exit code: $?"; set -e
printf '\ndemo done\n'
