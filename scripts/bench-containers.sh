#!/usr/bin/env bash
# Container benchmarks of issue 3, all in one run so the ratios compare like with like:
#   run --rm IMG true (vs podman if installed, and vs a bare `runc run` of a prepared bundle),
#   ps -a with 100 containers vs `node -e 0`, USS per running container (shim + resident runc),
#   20 parallel run --rm (vs podman if installed).
# Usage: scripts/bench-containers.sh [IMAGE]   (default: starts the test registry with busybox:latest)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 1; }
tmp=$(mktemp -d /tmp/conman-bench.XXXXXX)
reg_pid=
cleanup() {
  set +e
  CONMAN_ROOT=$tmp/root CONMAN_RUNROOT=$tmp/run bin/conman rm -af -t 0 >/dev/null 2>&1
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
  bash scripts/cleanup-tree.sh "$tmp" >/dev/null 2>&1 || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
img=${1:-}
if [ -z "$img" ]; then
  export CONMAN_TEST_TMP=$tmp/reg
  read -r addr reg_pid < <(node --import tsx test/lib/fixture.ts)
  img=$addr/busybox:latest
fi
export CONMAN_ROOT=$tmp/root CONMAN_RUNROOT=$tmp/run
C=bin/conman
$C pull -q "$img" >/dev/null
# podman is compared only where it works (in sandboxes that refuse raising RLIMIT_NPROC it cannot start containers)
podman_ok=
if command -v podman >/dev/null && podman run --rm --tls-verify=false --network none "$img" true >/dev/null 2>&1; then podman_ok=1
else echo "(podman not installed or not working here: no podman ratios)"; fi

echo "== run --rm IMG true"
bundle=$tmp/bundle
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/" && ln -s busybox "$bundle/rootfs/bin/true"
(cd "$bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/' config.json)
cmds=("$C run --rm --network none $img true" "$C run --rm $img true" "runc --root $tmp/runc-bare run -b $bundle bench")
[ -n "$podman_ok" ] && cmds+=("podman run --rm --tls-verify=false --network none $img true" "podman run --rm --tls-verify=false $img true")
hyperfine -N -w 3 -r 20 "${cmds[@]}"

echo "== ps -a with 100 containers"
for i in $(seq 100); do $C create --network none "$img" true >/dev/null & (( i % 10 == 0 )) && wait; done; wait
hyperfine -N -w 3 -r 30 "node -e 0" "$C ps -a" "$C ps -a --format json"
$C rm -a >/dev/null

echo "== USS per running container (shim + resident runc)"
for i in 1 2 3; do $C run -d --name "uss$i" --network none "$img" sleep 600 >/dev/null; done
sleep 1
for i in 1 2 3; do
  shim=$($C inspect -f '{{.State.ConmonPid}}' "uss$i")
  runc=$(pgrep -P "$shim")
  s=$(awk '/Private_(Clean|Dirty)/{t+=$2} END{print t}' "/proc/$shim/smaps_rollup")
  r=$(awk '/Private_(Clean|Dirty)/{t+=$2} END{print t}' "/proc/$runc/smaps_rollup")
  echo "uss$i: shim ${s} kB + runc ${r} kB = $((s + r)) kB"
done
$C rm -af -t 0 >/dev/null

echo "== 20 parallel run --rm"
par() { for i in $(seq 20); do "$@" & done; wait; }
export -f par
pcmds=("bash -c 'par $C run --rm --network none $img true'")
[ -n "$podman_ok" ] && pcmds+=("bash -c 'par podman run --rm --tls-verify=false --network none $img true'")
hyperfine -w 1 -r 5 "${pcmds[@]}"
