/**
 * A CLI attached to its container through the shim's fd 3: output frames to our stdout/stderr (our writes
 * to pipes and files are synchronous, so a slow reader slows the shim, which pauses the container's pipes:
 * nothing is dropped), stdin frames from ours with -i (EOF included), signals forwarded like podman's
 * --sig-proxy, and the exit code, which the shim sends after its cleanup (so `run --rm` returns only when
 * the container is gone). If the socket breaks, falls back to the container's recorded state.
 */
import { childProcess } from '../../base/lazy.js';
import type { Context } from '../../base/context.js';
import { ConmanError } from '../../base/errors.js';
import { CONTROL, STDIN, STDOUT } from '../../shim/protocol.js';
import type { FrameClient } from '../../core/runtime/shim-client.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Set before the container starts so that no frame is missed; with -it the terminal goes raw now too, or the
 * first keys typed at the container's prompt would be echoed by our own terminal.
 */
let proxied: Array<readonly [NodeJS.Signals, () => void]> | undefined;

/**
 * --sig-proxy: from before the container starts (a signal that arrives while `run` is still writing the state
 * must not kill the CLI and leave the container alone; the shim delivers signals it got early once runc
 * reported the pid). Idempotent; runForeground removes the handlers at the end.
 */
export function proxySignals(shim: FrameClient): void {
  if (proxied) return;
  proxied = FORWARDED.map((sig) => {
    const h = () => shim.signal(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
}

let isRaw = false;

/**
 * The user's terminal in raw mode, as podman's: node's raw mode (libuv) keeps ONLCR, which would turn the
 * container's \r\n into \r\r\n, so output post-processing is switched off too (`stty -opost`; restored with
 * the rest by setRawMode(false), which puts back the terminal's original settings).
 */
function makeRaw(): void {
  if (isRaw) return;
  isRaw = true;
  process.stdin.setRawMode(true);
  if (process.stdout.isTTY) {
    try {
      childProcess().spawnSync('stty', ['-opost'], { stdio: [0, 'ignore', 'ignore'] });
    } catch {
      /* no stty: \r\r\n looks the same on a screen */
    }
  }
  process.once('exit', () => {
    try {
      process.stdin.setRawMode(false);
    } catch {
      /* closed */
    }
  });
}

export function wireOutput(
  shim: FrameClient,
  rawTerminal = false,
  streams?: Set<string>,
  sigProxy = false,
  onBrokenPipe?: () => Promise<unknown>,
): void {
  if (sigProxy) proxySignals(shim);
  if (rawTerminal && process.stdin.isTTY) makeRaw();
  // a reader that went away (`conman run ... | head -1`): end like a process killed by SIGPIPE. A foreground
  // run stops its container first, as podman does (onBrokenPipe), so `run --rm IMG yes | head` leaves nothing
  // spinning; an attach leaves it running. The shim still does the cleanup (and --rm).
  let broke = false;
  const broken = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' || broke) return;
    broke = true;
    // nobody reads the output any more: let the shim go on alone (it would otherwise keep the container's
    // output paused for us, and at its exit wait for this socket while stop waits for the shim to exit)
    shim.onOutput = () => {};
    shim.detach();
    if (!onBrokenPipe) process.exit(141);
    onBrokenPipe().then(
      () => process.exit(141),
      () => process.exit(141),
    );
  };
  process.stdout.on('error', broken);
  process.stderr.on('error', broken);
  const skipOut = !!streams && !streams.has('stdout');
  const skipErr = !!streams && !streams.has('stderr');
  shim.onOutput = (stream, payload) => {
    if (stream === STDOUT ? skipOut : skipErr) return;
    const out = stream === STDOUT ? process.stdout : process.stderr;
    if (!out.write(payload)) {
      shim.sock.pause();
      out.once('drain', () => shim.sock.resume());
    }
  };
}

/**
 * `run -a stdin|stdout|stderr` (repeatable, podman's): undefined when not given (everything attached); refused
 * with -d and for other stream names.
 */
export function parseAttachStreams(v: unknown, detach: boolean): Set<string> | undefined {
  if (v === undefined) return undefined;
  const list = ([] as unknown[]).concat(v).flatMap((x) => String(x).split(',')).map((x) => x.trim().toLowerCase());
  if (detach) throw new ConmanError('EINVAL', '--attach and --detach cannot be used together');
  for (const s of list)
    if (!['stdin', 'stdout', 'stderr'].includes(s))
      throw new ConmanError('EINVAL', `invalid stream "${s}" for --attach: must be stdin, stdout or stderr`);
  return new Set(list);
}

export interface ForegroundOptions {
  tty?: boolean;
  /** podman syntax (ctrl-p,ctrl-q by default); only used with stdin attached */
  detachKeys?: string;
  /** forward INT, TERM, ... to the container (default true; always off with a terminal) */
  sigProxy?: boolean;
}

export async function runForeground(
  ctx: Context,
  id: string,
  shim: FrameClient,
  interactive: boolean,
  fo: ForegroundOptions = {},
): Promise<number> {
  // with a terminal, ^C and friends reach the container through the pty; without, signals are forwarded
  if (!fo.tty && fo.sigProxy !== false) proxySignals(shim);
  const raw = !!fo.tty && interactive && process.stdin.isTTY;
  if (raw) makeRaw(); // (usually done already by wireOutput, before the container started)
  const onResize = () => shim.send(CONTROL, JSON.stringify({ type: 'resize', cols: process.stdout.columns, rows: process.stdout.rows }));
  if (fo.tty && process.stdout.isTTY) process.stdout.on('resize', onResize);
  let detached: (() => void) | undefined;
  const detachedP = new Promise<'detached'>((r) => (detached = () => r('detached')));
  if (interactive) {
    const { DetachMatcher, parseDetachKeys, DEFAULT_DETACH_KEYS } = await import('./detachkeys.js');
    const m = new DetachMatcher(fo.tty ? parseDetachKeys(fo.detachKeys ?? DEFAULT_DETACH_KEYS) : Buffer.alloc(0));
    process.stdin.on('data', (d: Buffer) => {
      const r = m.feed(d);
      if (r.forward.length) shim.send(STDIN, r.forward);
      if (r.detach) detached?.();
    });
    process.stdin.on('end', () => shim.sendStdinEof());
    process.stdin.on('error', () => shim.sendStdinEof());
  }
  const first = await Promise.race([shim.exit, detachedP]);
  for (const [sig, h] of proxied ?? []) process.off(sig, h);
  proxied = undefined;
  process.stdout.off('resize', onResize);
  if (raw) {
    process.stdin.setRawMode(false);
    isRaw = false;
  }
  if (interactive) process.stdin.destroy();
  shim.detach();
  if (first === 'detached') return 0; // the container runs on; `conman attach` reconnects
  let info = first;
  if (!info) {
    // the shim's socket broke: the exit record (or reconciled state) tells
    const { current } = await import('../../core/container/state.js');
    for (;;) {
      const rec = current(ctx, id);
      if (!rec) return 0; // removed by its --rm cleanup; its code went with it
      if (rec.state.status === 'exited') {
        info = { exitCode: rec.state.exitCode };
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  if (info.error) process.stderr.write(`conman: container ${id.slice(0, 12)}: ${info.error}\n`);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  return info.exitCode < 0 ? 125 : info.exitCode;
}
