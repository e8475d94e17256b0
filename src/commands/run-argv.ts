/**
 * podman stops parsing options at the image of `run`/`create` (and the container of `exec`):
 * `conman run IMG sh -c 'exit 3'` passes `-c` to sh. yargs cannot do that per command, so main.ts calls
 * this first: it inserts `--` after that positional. Only options that take a value need to be known here.
 */
const GLOBAL_VALUE = new Set(['--root', '--runroot', '--runtime', '--log-level']);
const RUN_VALUE = new Set([
  '--name', '--env', '-e', '--env-file', '--workdir', '-w', '--user', '-u', '--entrypoint', '--volume', '-v',
  '--mount', '--hostname', '--memory', '-m', '--cpus', '--cpu-shares', '-c', '--cpuset-cpus', '--pids-limit', '--stop-signal', '--stop-timeout',
  '--cidfile', '--label', '-l', '--label-file', '--network', '--net', '--pull', '--detach-keys', '--publish', '-p', '--dns',
  '--add-host', '--ip', '--mac-address', '--tmpfs', '--platform', '--creds', '--authfile', '--cap-add',
  '--cap-drop', '--device', '--ulimit', '--security-opt', '--log-driver', '--log-opt', '--restart', '--pod',
  '--group-add', '--shm-size', '--init-path', '--annotation', '--expose', '--network-alias', '--dns-search',
  '--dns-option', '--attach', '-a',
]);
const SHORT_VALUE = new Set(['e', 'w', 'u', 'v', 'm', 'l', 'p', 'a', 'c']);
const CMDS = new Set(['run', 'create', 'exec']);

export function splitRunArgv(argv: string[]): string[] {
  let i = 0;
  // global options before the command
  while (i < argv.length && argv[i]!.startsWith('-')) {
    if (argv[i] === '--') return argv;
    if (GLOBAL_VALUE.has(argv[i]!)) i++;
    i++;
  }
  if (argv[i] === 'container') i++;
  if (i >= argv.length || !CMDS.has(argv[i]!)) return argv;
  for (i++; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (a.startsWith('--')) {
      if (!a.includes('=') && (RUN_VALUE.has(a) || GLOBAL_VALUE.has(a))) i++;
      else if (!a.includes('=') && !a.startsWith('--no-')) {
        // a flag without a value (a boolean, or one yargs doesn't know): `--x=true` keeps it from swallowing
        // the image, so that an unknown one is named ("Unknown argument: x") instead of a confusing error
        argv = [...argv.slice(0, i), `${a}=true`, ...argv.slice(i + 1)];
      }
      continue;
    }
    if (a === '-v') argv = [...argv.slice(0, i), '--volume', ...argv.slice(i + 1)]; // -v is --version globally
    if (a.startsWith('-') && a.length > 1) {
      const last = a[a.length - 1]!;
      if (!a.includes('=') && SHORT_VALUE.has(last)) i++;
      continue;
    }
    // the image (run/create) or container (exec)
    if (i + 1 >= argv.length) return argv;
    return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
  }
  return argv;
}
