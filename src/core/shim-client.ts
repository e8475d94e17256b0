/**
 * The CLI's side of the shim: spawn it detached (own session, stdio /dev/null, fd 3 a socketpair), hand it
 * its start config, wait for `started`/`failed`, stream frames, get the exit code. `run` spawns the shim
 * first thing so node's startup in the shim overlaps the CLI's own work (image lookup, mount, spec).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Context } from './context.js';
import { frame, FrameReader, CONTROL, EXIT, STDIN } from '../shim/frames.js';
import type { ShimConfig } from '../shim/shim.js';

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

export class ShimHandle {
  readonly child: ChildProcess;
  readonly sock: net.Socket;
  onOutput?: (stream: number, payload: Buffer) => void;
  private startedWaiter?: { resolve: (s: Started) => void; reject: (e: { error: string; exitCode: number }) => void };
  private exitResolve!: (e: ExitInfo | undefined) => void;
  readonly exit: Promise<ExitInfo | undefined>;
  private closed = false;

  constructor(ctx: Context) {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.NODE_OPTIONS;
    this.child = spawn(process.execPath, [...SHIM_NODE_FLAGS, path.join(ctx.installDir, 'dist', 'shim.js')], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env,
    });
    this.child.on('error', () => {});
    this.sock = this.child.stdio[3] as net.Socket;
    this.exit = new Promise((r) => (this.exitResolve = r));
    const reader = new FrameReader((stream, payload) => {
      if (stream === CONTROL) {
        const msg = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (msg.type === 'started') this.startedWaiter?.resolve(msg as unknown as Started);
        else if (msg.type === 'failed') this.startedWaiter?.reject(msg as unknown as { error: string; exitCode: number });
      } else if (stream === EXIT) {
        this.exitResolve(JSON.parse(payload.toString()) as ExitInfo);
      } else this.onOutput?.(stream, payload);
    });
    this.sock.on('data', (d: Buffer) => reader.push(d));
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      this.closed = true;
      this.startedWaiter?.reject({ error: 'the conman shim exited before starting the container', exitCode: -1 });
      this.exitResolve(undefined);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
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

  /** Lets the shim run on alone: closes fd 3 and forgets the child. */
  detach(): void {
    this.sock.destroy();
    this.child.unref();
  }

  /** Abandons a shim that was never given a container (it exits when fd 3 closes). */
  abort(): void {
    this.detach();
  }
}

export function spawnShim(ctx: Context): ShimHandle {
  return new ShimHandle(ctx);
}
