# Sourced by the demo, the test runner and the benchmarks: a scratch directory that is removed with
# everything in it (processes, mounts, runc state, bridges) when the script exits, and a private test
# registry on 127.0.0.1 holding busybox:latest.
#   scratch_init PREFIX      sets CONMAN_TEST_TMP (exported) and the exit trap
#   scratch_registry         starts the registry; sets SCRATCH_REGISTRY (host:port)
scratch_registry_pid=
scratch_init() {
  CONMAN_TEST_TMP=$(mktemp -d "/tmp/$1.XXXXXX")
  export CONMAN_TEST_TMP
  trap scratch_cleanup EXIT INT TERM
}
scratch_cleanup() {
  set +e
  [ -n "$scratch_registry_pid" ] && kill "$scratch_registry_pid" 2>/dev/null
  bash scripts/cleanup-tree.sh "$CONMAN_TEST_TMP"
}
scratch_registry() {
  read -r SCRATCH_REGISTRY scratch_registry_pid < <(node --import tsx test/lib/fixture.ts)
  export SCRATCH_REGISTRY
}
