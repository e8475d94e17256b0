/**
 * The CLI's side of the shim: spawn it detached (own session, stdio /dev/null, fd 3 a socketpair), hand it
 * its start config, wait for `started`/`failed`, stream frames, get the exit code. `run` spawns the shim
 * first thing so node's startup in the shim overlaps the CLI's own work (image lookup, mount, spec).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Context } from '../../base/context.js';
import { frame, FrameReader, CONTROL, EXIT, STDIN } from '../../shim/protocol.js';
import type { ShimConfig } from '../../shim/protocol.js';
import { native } from '../../base/native.js';
import { ConmanError } from '../../base/errors.js';

/** V8 flags that keep a shim small (measured: see docs/DESIGN.md). */
export const SHIM_NODE_FLAGS = ['--max-old-space-size=16', '--max-semi-space-size=1', '--v8-pool-size=0', '--stack-size=400'];

export interface Started {
  pid: number;
  pidStart?: string;
  shimPid: number;
}

export interface ExitInfo {
  exitCode: number;
  error?: string;
}

/** One end of the frame protocol: the fd 3 of a shim this CLI spawned, or a connection to an attach socket. */
export class FrameClient {
  readonly sock: net.Socket;
  onOutput?: (stream: number, payload: Buffer) => void;
  protected startedWaiter?: { resolve: (s: Started) => void; reject: (e: { error: string; exitCode: number }) => void };
  private exitResolve!: (e: ExitInfo | undefined) => void;
  readonly exit: Promise<ExitInfo | undefined>;
  protected closed = false;

  constructor(sock: net.Socket) {
    this.sock = sock;
    this.exit = new Promise((r) => (this.exitResolve = r));
    let broken: string | undefined;
    const reader = new FrameReader(
      (stream, payload) => {
        if (stream === CONTROL) {
          const msg = JSON.parse(payload.toString()) as Record<string, unknown>;
          if (msg.type === 'started') this.startedWaiter?.resolve(msg as unknown as Started);
          else if (msg.type === 'failed') this.startedWaiter?.reject(msg as unknown as { error: string; exitCode: number });
        } else if (stream === EXIT) {
          this.exitResolve(JSON.parse(payload.toString()) as ExitInfo);
        } else this.onOutput?.(stream, payload);
      },
      (err) => {
        // the stream lost its framing: nothing more from it can be trusted
        broken = `the conman shim sent a broken frame: ${err.message}`;
        this.sock.destroy();
      },
    );
    this.sock.on('data', (d: Buffer) => reader.push(d));
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      this.closed = true;
      this.startedWaiter?.reject({ error: broken ?? 'the conman shim exited before starting the container', exitCode: -1 });
      this.exitResolve(undefined);
    });
  }

  send(stream: number, payload: Buffer | string): boolean {
    if (this.closed) return false;
    return this.sock.write(frame(stream, payload));
  }

  sendStdinEof(): void {
    this.send(STDIN, Buffer.alloc(0));
  }

  signal(sig: string): void {
    this.send(CONTROL, JSON.stringify({ type: 'signal', signal: sig }));
  }

  /** Leaves: closes the connection (the container runs on). */
  detach(): void {
    this.sock.destroy();
  }
}

/** Shims this process spawned and has not reaped yet; one SIGCHLD listener for all of them (`start a b c ...`). */
const unreaped = new Set<number>();
let sigchld = false;

function reapShims(n: ReturnType<typeof native>): void {
  for (const pid of unreaped) {
    try {
      if (n.waitpid(pid, true)) unreaped.delete(pid);
    } catch {
      unreaped.delete(pid); // ECHILD: reaped already
    }
  }
}

function reapOnExit(n: ReturnType<typeof native>, pid: number): void {
  unreaped.add(pid);
  if (!sigchld) process.on('SIGCHLD', () => reapShims(n));
  sigchld = true;
}

export class ShimHandle extends FrameClient {
  readonly pid: number;

  constructor(ctx: Context) {
    // spawned by the native addon (vfork + exec: child_process would copy this whole process, and loading it
    // costs ~3.5 ms on every `run`), in its own session, stdio /dev/null, fd 3 one end of a socketpair
    const n = native(ctx.installDir);
    const [mine, theirs] = n.socketpair();
    const env: string[] = [];
    for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_EXTRA_CA_CERTS' && k !== 'NODE_OPTIONS' && v !== undefined) env.push(`${k}=${v}`);
    let pid: number;
    try {
      pid = n.spawn(process.execPath, [process.execPath, ...SHIM_NODE_FLAGS, path.join(ctx.installDir, 'dist', 'shim.js')], env, [-1, -1, -1, theirs], true);
    } catch (e) {
      fs.closeSync(mine);
      throw new ConmanError('ERUNTIME', `cannot start the conman shim (${process.execPath}): ${(e as Error).message}`, { cause: e });
    } finally {
      fs.closeSync(theirs);
    }
    super(new net.Socket({ fd: mine, readable: true, writable: true }));
    this.pid = pid;
    // the shim is this process's child until this process exits: reap it if it ends first, so that nobody
    // (waitCleanedUp, a zombie in ps) takes it for alive
    reapOnExit(n, pid);
    this.sock.once('close', () => setTimeout(() => reapShims(n), 5).unref());
  }

  /** Sends the config; resolves when runc's pid file appeared, rejects with runc's error otherwise. */
  start(config: ShimConfig): Promise<Started> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject({ error: 'the conman shim exited before starting the container', exitCode: -1 });
        return;
      }
      this.startedWaiter = { resolve, reject };
      this.sock.write(frame(CONTROL, JSON.stringify({ type: 'start', config })));
    });
  }

  /** Lets the shim run on alone: closes fd 3. */
  override detach(): void {
    this.sock.destroy();
  }

  /** Abandons a shim that was never given a container (it exits when fd 3 closes). */
  abort(): void {
    this.detach();
  }
}

/** Connects to a running container's attach socket (through /proc/self/fd when the path is too long). */
export async function connectAttach(socketPath: string): Promise<FrameClient> {
  let p = socketPath;
  let dfd: number | undefined;
  if (Buffer.byteLength(p) >= 100) {
    dfd = fs.openSync(path.dirname(p), 'r');
    p = `/proc/self/fd/${dfd}/${path.basename(p)}`;
  }
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(p, () => resolve(s));
    s.once('error', reject);
  });
  return new FrameClient(sock);
}

export function spawnShim(ctx: Context): ShimHandle {
  return new ShimHandle(ctx);
}
