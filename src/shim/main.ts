/**
 * conman's per-container shim (dist/shim.js). Spawned detached by the CLI with fd 3 a socketpair speaking
 * the frame protocol of ./protocol.ts. It receives its start config as the first control frame, runs
 * `runc run --pid-file P -b BUNDLE ID` as its child (./pty.ts for -t, ./pipes.ts otherwise), reports
 * {type:'started',pid} or {type:'failed',error} on fd 3, writes the k8s-file log (./log-writer.ts), serves
 * the attach socket (./attach-server.ts), and when the container exits writes exit.json atomically, runs the
 * container's cleanup (unmount, network teardown, --rm) through core/container/shim-entry.ts, sends the exit
 * frame and ends. It holds no lock while the container runs.
 *
 * Output delivery: every chunk goes to the log first (writeSync), then to clients. The fd-3 client of a
 * foreground `run`/`start -a` gets every byte: when its socket buffer is full the shim pauses reading the
 * container's pipes (backpressure onto the container, as with a plain pipe). Other attach clients get a
 * bounded buffer and are dropped when they fall 8 MB behind, so they can never block the container.
 *
 * Memory: a shim lives as long as its container, one per container. It loads node-pty only for -t, and the
 * cleanup code (~2.5 MB USS) only when the container exits (at once for a foreground run).
 */
import { lastRuncError } from '../base/runc-log.js';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { frame, FrameReader, STDIN, STDERR, CONTROL, EXIT, type ShimConfig } from './protocol.js';
import { writeFileAtomicSync } from '../storage/atomic.js';
import { procStart } from '../base/proc.js';
import { signalNumber } from '../base/signals.js';
import { LogWriter } from './log-writer.js';
import { broadcastToClients, clients, listenAttach } from './attach-server.js';
import { watchOom } from './oom.js';
import { runUnderPty } from './pty.js';
import { runDetached } from './pipes.js';
import type { ContainerIO, ShimHost } from './io.js';

let cfg: ShimConfig | undefined;
let ctlOpen = true;
/** the foreground client's socket is full: the container's pipes are paused until it drains */
let backpressured = false;
let started = false;
let containerPid = 0;
let finished = false;
const pending: Array<[number, Buffer]> = [];
/** filled in by the runner (./pty.ts or ./pipes.ts) as it sets the container's stdio up */
const io: ContainerIO = { pausables: [] };
const earlySignals: string[] = [];
let log: LogWriter | undefined;
let runcStderr = '';
let cleanupModule: Promise<typeof import('../core/container/shim-entry.js')> | undefined;

const ctl = new net.Socket({ fd: 3, readable: true, writable: true });
ctl.on('error', () => {});
ctl.on('close', () => {
  ctlOpen = false;
  if (!cfg) process.exit(0);
  backpressured = false;
  for (const p of io.pausables) p.resume();
});
// a CLI whose frames lost their framing is treated as gone (the container runs on, as after a detach)
const ctlReader = new FrameReader((stream, payload) => onClientFrame(stream, payload, true), () => ctl.destroy());
ctl.on('data', (d: Buffer) => ctlReader.push(d));

function onClientFrame(stream: number, payload: Buffer, fromCtl: boolean): void {
  if (stream === CONTROL) {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(payload.toString());
    } catch {
      return;
    }
    if (msg.type === 'start' && fromCtl && !cfg) {
      cfg = msg.config as ShimConfig;
      start(cfg);
    } else if (msg.type === 'signal' && containerPid) {
      try {
        process.kill(containerPid, msg.signal as NodeJS.Signals);
      } catch {
        /* gone */
      }
    } else if (msg.type === 'signal' && !finished && earlySignals.length < 16) {
      earlySignals.push(String(msg.signal)); // before runc reported the pid: delivered by markStarted
    } else if (msg.type === 'resize' && io.resize) {
      io.resize(Number(msg.cols) || 80, Number(msg.rows) || 24);
    }
  } else if (stream === STDIN && io.writeStdin) {
    if (payload.length === 0) io.endStdin?.();
    else io.writeStdin(payload);
  }
}

function sendCtl(buf: Buffer): void {
  if (!ctlOpen) return;
  const ok = ctl.write(buf);
  if (!ok && cfg?.foreground && !backpressured) {
    backpressured = true;
    for (const p of io.pausables) p.pause();
    ctl.once('drain', () => {
      backpressured = false;
      for (const p of io.pausables) p.resume();
    });
  }
}

function broadcast(buf: Buffer): void {
  if (cfg?.foreground) sendCtl(buf);
  broadcastToClients(buf);
}

function output(stream: number, chunk: Buffer): void {
  if (!started) {
    pending.push([stream, chunk]);
    if (stream === STDERR) runcStderr += chunk.toString();
    return;
  }
  log?.write(stream, chunk);
  broadcast(frame(stream, chunk));
}

function readPid(): number {
  try {
    return Number(fs.readFileSync(cfg!.pidFile, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function markStarted(pid: number): void {
  if (started) return;
  started = true;
  containerPid = pid;
  sendCtl(frame(CONTROL, JSON.stringify({ type: 'started', pid, pidStart: procStart(pid), shimPid: process.pid })));
  for (const [s, c] of pending.splice(0)) {
    log?.write(s, c);
    broadcast(frame(s, c));
  }
  for (const sig of earlySignals.splice(0)) {
    try {
      process.kill(pid, sig as NodeJS.Signals);
    } catch {
      /* gone */
    }
  }
}

function runcError(): string {
  const logged = lastRuncError(cfg!.runcLog);
  if (logged) return logged;
  return runcStderr.trim() || 'the OCI runtime failed without a message';
}

function start(c: ShimConfig): void {
  // The shim is spawned before the CLI knows the container's id; name it now so that `ps`, monitoring tools
  // and benchmarks can tell which container a shim watches (it rewrites /proc/self/cmdline in place).
  process.title = `conman-shim ${c.id}`;
  fs.mkdirSync(path.dirname(c.attachPath), { recursive: true });
  // after runc is on its way: net.Server#listen loads node's cluster module (~7 ms), not needed to start runc
  setImmediate(() => listenAttach(c.attachPath, (s, p) => onClientFrame(s, p, false)));
  log = new LogWriter(c.logPath);
  const args = ['--root', c.runcRoot, '--log', c.runcLog, '--log-format', 'json', 'run', '--pid-file', c.pidFile, '-b', c.bundle, c.id];
  let onExit!: (code: number | null, signal: NodeJS.Signals | null) => void;
  const exited = new Promise<number>((resolve) => {
    onExit = (code, signal) => resolve(code ?? 128 + (signal ? (signalNumber(signal) ?? 0) : 0));
  });
  const host: ShimHost = {
    output,
    markStarted,
    readPid,
    containerPid: () => containerPid,
    backpressured: () => backpressured,
    runcFailed: (message) => (runcStderr += message),
    exited: (code, signal) => onExit(code, signal),
  };
  if (c.tty) runUnderPty(c, args, host, io);
  else runDetached(c, args, host, io);
  const check = () => {
    if (started) return;
    const pid = readPid();
    if (pid) markStarted(pid);
  };
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(path.dirname(c.pidFile), check);
  } catch {
    /* polling below */
  }
  const poll = setInterval(check, 25);
  const oom = watchOom(c.oomFile, () => started);
  // a foreground run waits for the cleanup: load its code while runc works (costs ~2.5 MB USS, so detached
  // containers, which mostly run long, load it only when they exit)
  if (c.foreground) setImmediate(() => loadCleanup().catch(() => {}));
  void exited.then(async (code) => {
    clearInterval(poll);
    // `runc run -d` leaves the cgroup until finish() drops it: a last look
    oom.stop(!c.tty);
    watcher?.close();
    check();
    await finish(code, oom.killed());
  });
}

async function finish(code: number, oomKilled: boolean): Promise<void> {
  if (finished) return;
  finished = true;
  const c = cfg!;
  if (!started) {
    sendCtl(frame(CONTROL, JSON.stringify({ type: 'failed', error: runcError(), exitCode: code })));
    await endAll();
    return;
  }
  const exit = { exitCode: code, finishedAt: new Date().toISOString(), ...(oomKilled ? { oomKilled: true } : {}) };
  let error: string | undefined;
  if (!c.tty) {
    try {
      (await loadCleanup()).dropRuntimeState(c);
    } catch {
      /* the next start or rm drops it */
    }
  }
  try {
    writeFileAtomicSync(c.exitPath, JSON.stringify(exit) + '\n', undefined, !c.autoRemove);
  } catch (e) {
    error = `cannot write exit file: ${(e as Error).message}`;
  }
  log?.close();
  // a failure here (a lock held by a dying CLI, a native addon being rebuilt, ...) is retried a few times:
  // nobody else would unmount or --rm-remove the container until the next rm
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      await (await loadCleanup()).cleanupAfterExit(c, exit);
      error = undefined;
      break;
    } catch (e) {
      error = `cleanup failed: ${(e as Error).message}`;
      try {
        fs.appendFileSync(path.join(path.dirname(c.exitPath), 'shim.log'), `${new Date().toISOString()} ${error}\n`);
      } catch {
        /* container removed */
      }
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
  broadcast(frame(EXIT, JSON.stringify({ exitCode: code, error })));
  if (!c.foreground) sendCtl(frame(EXIT, JSON.stringify({ exitCode: code, error })));
  await endAll();
}

/**
 * The cleanup code, loaded once. In dist/ it is a bundle of its own (shim-cleanup.cjs, see scripts/build.mjs):
 * a failed load (a build swapping dist/ at that moment) is forgotten, so that the next attempt loads again.
 */
function loadCleanup(): NonNullable<typeof cleanupModule> {
  cleanupModule ??= import('../core/container/shim-entry.js').catch((e: unknown) => {
    cleanupModule = undefined;
    throw e;
  });
  return cleanupModule;
}

async function endAll(): Promise<void> {
  const waits: Array<Promise<void>> = [];
  for (const s of [...clients, ...(ctlOpen ? [ctl] : [])]) waits.push(new Promise((r) => s.end(() => r())));
  await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(0);
}
