/** The flags `run` and `create` share, and their translation into CreateOptions. */
import type { Argv } from './types.js';
import type { CreateOptions } from '../core/container/options.js';

export function runFlags(y: Argv): Argv {
  return y
    .positional('image', { type: 'string', describe: 'Image to run', demandOption: true })
    .positional('command', { type: 'string', array: true, describe: 'Command and arguments' })
    .option('name', { type: 'string', describe: 'Assign a name to the container' })
    .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables (KEY=VALUE or KEY)' })
    .option('env-file', { type: 'string', describe: 'Read environment variables from a file' })
    .option('workdir', { alias: 'w', type: 'string', describe: 'Working directory inside the container' })
    .option('user', { alias: 'u', type: 'string', describe: 'User[:group] to run as (names or numbers)' })
    .option('entrypoint', { type: 'string', describe: "Override the image's entrypoint (string or JSON array)" })
    .option('volume', { type: 'string', describe: '(-v) Bind mount HOST-DIR:CONTAINER-DIR[:ro]' })
    .option('mount', { type: 'string', describe: 'Attach a mount: type=bind,source=,target=[,ro] or type=tmpfs,target=' })
    .option('read-only', { type: 'boolean', describe: 'Mount the root filesystem read-only' })
    .option('hostname', { type: 'string', describe: 'Container host name' })
    .option('memory', { alias: 'm', type: 'string', describe: 'Memory limit (e.g. 512m, 1g)' })
    .option('cpus', { type: 'string', describe: 'Number of CPUs (e.g. 0.5)' })
    .option('cpu-shares', { alias: 'c', type: 'string', describe: 'CPU shares, a weight relative to other containers (default 1024)' })
    .option('cpuset-cpus', { type: 'string', describe: 'CPUs the container may run on (e.g. 0-1,3)' })
    .option('pids-limit', { type: 'string', describe: 'Limit the number of processes (-1 unlimited)' })
    .option('stop-signal', { type: 'string', describe: 'Signal to stop the container (default SIGTERM)' })
    .option('stop-timeout', { type: 'string', describe: 'Seconds to wait before killing the container on stop (default 10)' })
    .option('cidfile', { type: 'string', describe: 'Write the container id to this file' })
    .option('replace', { type: 'boolean', describe: 'Replace an existing container of the same name' })
    .option('label', { alias: 'l', type: 'string', describe: 'Set metadata (KEY=VALUE)' })
    .option('label-file', { type: 'string', describe: 'Read labels from a file (KEY=VALUE lines)' })
    .option('shm-size', { type: 'string', describe: 'Size of /dev/shm (e.g. 64m, 1g; default 64m)' })
    .option('rm', { type: 'boolean', describe: 'Remove the container when it exits' })
    .option('interactive', { alias: 'i', type: 'boolean', describe: 'Keep stdin open and pass it to the container' })
    .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-terminal' })
    .option('network', { alias: ['net'], type: 'string', describe: 'Network: bridge (the default network), none, host, or a network name' })
    .option('publish', { alias: 'p', type: 'string', describe: 'Publish a port: [ip:][hostPort:]containerPort[/tcp|udp]' })
    .option('publish-all', { alias: 'P', type: 'boolean', describe: "Publish the image's exposed ports on free host ports" })
    .option('ip', { type: 'string', describe: 'Static IPv4 address on the network' })
    .option('network-alias', { type: 'string', describe: 'Extra name of the container on its network' })
    .option('add-host', { type: 'string', describe: 'Add a HOST:IP line to /etc/hosts' })
    .option('dns', { type: 'string', describe: 'DNS server for /etc/resolv.conf' })
    .option('dns-search', { type: 'string', describe: 'DNS search domain for /etc/resolv.conf' })
    .option('dns-option', { type: 'string', describe: 'DNS option for /etc/resolv.conf' })
    .option('tls-verify', { type: 'boolean', describe: 'For the pull of a missing image: require HTTPS and verify certificates (default true)' })
    .option('creds', { type: 'string', describe: 'For the pull of a missing image: USERNAME:PASSWORD' })
    .option('authfile', { type: 'string', describe: 'For the pull of a missing image: the authentication file' })
    .option('expose', { type: 'string', describe: 'Expose a port or range (PORT[-PORT][/PROTO]) for -P, in addition to the image\'s' })
    .option('tmpfs', { type: 'string', describe: 'Mount a tmpfs: PATH[:size=64m,mode=1777,ro,...]' })
    .option('cap-add', { type: 'string', describe: 'Add capabilities (e.g. NET_ADMIN, or ALL)' })
    .option('cap-drop', { type: 'string', describe: 'Drop capabilities (e.g. CHOWN, or ALL)' })
    .option('init', { type: 'boolean', describe: 'Run an init (catatonit) as PID 1 that forwards signals and reaps zombies' })
    .option('init-path', { type: 'string', describe: 'The init binary for --init (default: catatonit, else tini)' })
    .option('privileged', { type: 'boolean', describe: 'All capabilities, no masked paths, /sys writable' })
    .option('ulimit', { type: 'string', describe: 'Resource limit NAME=SOFT[:HARD] (not above the host\'s hard limit)' })
    .option('pull', { type: 'string', describe: 'Pull policy: missing (default), always, never, newer' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Do not print pull progress' });
}

const arr = (v: unknown): string[] | undefined => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String));
/** A flag given twice (`-u a -u b`) counts once, with its last value, as in podman. */
const last = (v: unknown): unknown => (Array.isArray(v) ? v[v.length - 1] : v);

/** `--quiet=false`: the pull of a missing image shows progress (cli-progress is loaded only then). */
export async function withPullProgress(o: CreateOptions): Promise<CreateOptions> {
  if (o.quiet === false) o.onPullProgress = (await import('../cli/progress.js')).progressReporter();
  return o;
}

export function createOptions(a: Record<string, unknown>): CreateOptions {
  const cmd = [...((a.command as string[] | undefined) ?? []), ...((a['--'] as string[] | undefined) ?? [])].map(String);
  return {
    image: String(a.image),
    command: cmd,
    name: last(a.name) as string | undefined,
    env: arr(a.env),
    envFile: arr(a.envFile),
    workdir: last(a.workdir) as string | undefined,
    user: last(a.user) as string | undefined,
    entrypoint: last(a.entrypoint) as string | undefined,
    volume: arr(a.volume),
    mount: arr(a.mount),
    readOnly: last(a.readOnly) as boolean | undefined,
    hostname: last(a.hostname) as string | undefined,
    memory: last(a.memory) as string | undefined,
    cpus: last(a.cpus) as string | undefined,
    cpuShares: last(a.cpuShares) as string | undefined,
    cpusetCpus: last(a.cpusetCpus) as string | undefined,
    pidsLimit: last(a.pidsLimit) as string | undefined,
    stopSignal: last(a.stopSignal) as string | undefined,
    stopTimeout: last(a.stopTimeout) as string | undefined,
    cidfile: last(a.cidfile) as string | undefined,
    replace: last(a.replace) as boolean | undefined,
    label: arr(a.label),
    labelFile: arr(a.labelFile),
    shmSize: last(a.shmSize) as string | undefined,
    rm: last(a.rm) as boolean | undefined,
    interactive: last(a.interactive) as boolean | undefined,
    tty: last(a.tty) as boolean | undefined,
    network: last(a.network) as string | undefined,
    net: {
      publish: arr(a.publish),
      publishAll: last(a.publishAll) as boolean | undefined,
      ip: last(a.ip) as string | undefined,
      networkAlias: arr(a.networkAlias),
      addHost: arr(a.addHost),
      dns: arr(a.dns),
      dnsSearch: arr(a.dnsSearch),
      dnsOption: arr(a.dnsOption),
    },
    tmpfs: arr(a.tmpfs),
    expose: arr(a.expose),
    pullOptions: { tlsVerify: last(a.tlsVerify) as boolean | undefined, creds: last(a.creds) as string | undefined, authfile: last(a.authfile) as string | undefined },
    capAdd: arr(a.capAdd),
    capDrop: arr(a.capDrop),
    privileged: last(a.privileged) as boolean | undefined,
    init: last(a.init) as boolean | undefined,
    initPath: last(a.initPath) as string | undefined,
    ulimit: arr(a.ulimit),
    pull: last(a.pull) as string | undefined,
    quiet: last(a.quiet) as boolean | undefined,
  };
}
