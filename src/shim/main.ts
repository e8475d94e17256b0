/**
 * conman's per-container shim (dist/shim.js). Spawned detached by the CLI with fd 3 a socketpair speaking
 * the frame protocol of ./frames.ts. It receives its start config as the first control frame, runs
 * `runc run --pid-file P -b BUNDLE ID` as its child, reports {type:'started',pid} or
 * {type:'failed',error} on fd 3, writes the k8s-file log, serves the attach socket, and when runc exits
 * writes exit.json atomically, runs the container's cleanup (unmount, network teardown, --rm), sends the
 * exit frame and ends. It holds no lock while the container runs.
 *
 * Output delivery: every chunk goes to the log first (writeSync), then to clients. The fd-3 client of a
 * foreground `run`/`start -a` gets every byte: when its socket buffer is full the shim pauses reading the
 * container's pipes (backpressure onto the container, as with a plain pipe). Other attach clients get a
 * bounded buffer and are dropped when they fall 8 MB behind, so they can never block the container.
 */
import { lastRuncError } from '../base/runc-log.js';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { frame, FrameReader, STDIN, STDOUT, STDERR, CONTROL, EXIT, type ShimConfig } from './protocol.js';
import { native } from '../base/native.js';
import { writeFileAtomicSync } from '../storage/atomic.js';
import { procStart } from '../base/proc.js';
import { signalName, signalNumber } from '../base/signals.js';

/** `... run --pid-file P -b B ID` → `... run -d --pid-file P -b B ID` */
function detachedArgs(args: string[]): void {
  args.splice(args.indexOf('run') + 1, 0, '-d');
}


const CLIENT_LIMIT = 8 * 1024 * 1024;
const NL = Buffer.from('\n');

let cfg: ShimConfig | undefined;
let ctlOpen = true;
/** the foreground client's socket is full: the container's pipes are paused until it drains */
let backpressured = false;
let started = false;
let containerPid = 0;
let finished = false;
const clients = new Set<net.Socket>();
const pending: Array<[number, Buffer]> = [];
let stdinSink: Writable | undefined;
let writeStdin: ((b: Buffer) => void) | undefined;
let endStdin: (() => void) | undefined;
let resize: ((cols: number, rows: number) => void) | undefined;
const pausables: Readable[] = [];
const earlySignals: string[] = [];
let logFd = -1;
let runcStderr = '';
let oomKilled = false;
let cleanupModules: Promise<[typeof import('../base/context.js'), typeof import('../core/container/cleanup.js')]> | undefined;

const ctl = new net.Socket({ fd: 3, readable: true, writable: true });
ctl.on('error', () => {});
ctl.on('close', () => {
  ctlOpen = false;
  if (!cfg) process.exit(0);
  backpressured = false;
  for (const p of pausables) p.resume();
});
const ctlReader = new FrameReader((stream, payload) => onClientFrame(stream, payload, true));
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
    } else if (msg.type === 'resize' && resize) {
      resize(Number(msg.cols) || 80, Number(msg.rows) || 24);
    }
  } else if (stream === STDIN && writeStdin) {
    if (payload.length === 0) endStdin?.();
    else writeStdin(payload);
  }
}

function sendCtl(buf: Buffer): void {
  if (!ctlOpen) return;
  const ok = ctl.write(buf);
  if (!ok && cfg?.foreground && !backpressured) {
    backpressured = true;
    for (const p of pausables) p.pause();
    ctl.once('drain', () => {
      backpressured = false;
      for (const p of pausables) p.resume();
    });
  }
}

function broadcast(buf: Buffer): void {
  if (cfg?.foreground) sendCtl(buf);
  for (const c of clients) {
    if (c.writableLength > CLIENT_LIMIT) {
      c.destroy();
      clients.delete(c);
      continue;
    }
    c.write(buf);
  }
}

function timestamp(): string {
  const iso = new Date().toISOString(); // ...ss.mmmZ
  const sub = (process.hrtime.bigint() % 1000000n).toString().padStart(6, '0');
  return `${iso.slice(0, -1)}${sub}Z`;
}

/** k8s-file: `<RFC3339Nano> stdout|stderr F|P <text>`; P marks a line continued in the next record. */
function logChunk(stream: number, chunk: Buffer): void {
  if (logFd < 0) return;
  const name = stream === STDOUT ? 'stdout' : 'stderr';
  const ts = timestamp();
  const parts: Buffer[] = [];
  const full = Buffer.from(`${ts} ${name} F `);
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(10, start);
    if (nl < 0) {
      parts.push(Buffer.from(`${ts} ${name} P `), chunk.subarray(start), NL);
      break;
    }
    parts.push(full, chunk.subarray(start, nl + 1));
    start = nl + 1;
  }
  try {
    // one writev(2) of the record pieces (no copy into one buffer); a short write finishes with plain writes
    const n = fs.writevSync(logFd, parts);
    let total = 0;
    for (const p of parts) total += p.length;
    if (n < total) {
      const rest = Buffer.concat(parts).subarray(n);
      let off = 0;
      while (off < rest.length) off += fs.writeSync(logFd, rest, off);
    }
  } catch {
    /* disk full: the clients still get the output */
  }
}

function output(stream: number, chunk: Buffer): void {
  if (!started) {
    pending.push([stream, chunk]);
    if (stream === STDERR) runcStderr += chunk.toString();
    return;
  }
  logChunk(stream, chunk);
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
    logChunk(s, c);
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

function listen(c: ShimConfig): void {
  const server = net.createServer((sock) => {
    clients.add(sock);
    const r = new FrameReader((s, p) => onClientFrame(s, p, false));
    sock.on('data', (d: Buffer) => r.push(d));
    sock.on('error', () => {});
    sock.on('close', () => clients.delete(sock));
  });
  server.on('error', () => {});
  let p = c.attachPath;
  if (Buffer.byteLength(p) >= 100) {
    // sun_path is 108 bytes: bind through /proc/self/fd/N of the directory instead
    const dfd = fs.openSync(path.dirname(p), 'r');
    p = `/proc/self/fd/${dfd}/${path.basename(p)}`;
  }
  try {
    fs.rmSync(c.attachPath, { force: true });
    // listen() first loads node's cluster module (and through it child_process: ~4 ms per container) only to
    // learn that this is not a cluster worker; _listen2 is the step listen() takes next in a primary
    const internal = server as unknown as { _listen2?: (path: string, port: number, addressType: number, backlog: number) => void };
    if (typeof internal._listen2 === 'function') internal._listen2(p, -1, -1, 64);
    else server.listen(p);
    server.unref();
  } catch {
    /* attach unavailable; the run still works */
  }
}

function start(c: ShimConfig): void {
  // The shim is spawned before the CLI knows the container's id; name it now so that `ps`, monitoring tools
  // and benchmarks can tell which container a shim watches (it rewrites /proc/self/cmdline in place).
  process.title = `conman-shim ${c.id}`;
  fs.mkdirSync(path.dirname(c.attachPath), { recursive: true });
  // after runc is on its way: net.Server#listen loads node's cluster module (~7 ms), not needed to start runc
  setImmediate(() => listen(c));
  logFd = fs.openSync(c.logPath, 'a');
  const args = ['--root', c.runcRoot, '--log', c.runcLog, '--log-format', 'json', 'run', '--pid-file', c.pidFile, '-b', c.bundle, c.id];
  let onExit!: (code: number | null, signal: NodeJS.Signals | null) => void;
  const exited = new Promise<number>((resolve) => {
    onExit = (code, signal) => resolve(code ?? 128 + (signal ? (signalNumber(signal) ?? 0) : 0));
  });
  if (c.tty) {
    const req = createRequire(__filename);
    const pty = req('node-pty') as typeof import('node-pty');
    // runc copies between its own terminal (this pty) and the container's: ours must be raw, or it would echo
    // input, buffer lines and turn ^C into signals for runc. node-pty cannot set termios, stty can.
    const p = pty.spawn('/bin/sh', ['-c', 'stty raw -echo 2>/dev/null; exec "$0" "$@"', c.runtime, ...args], {
      cols: c.cols || 80,
      rows: c.rows || 24,
      cwd: c.bundle,
      env: process.env as Record<string, string>,
      name: 'xterm',
      encoding: null, // Buffers: the bytes as the program wrote them
    } as import('node-pty').IPtyForkOptions);
    p.onData((d: string | Buffer) => output(STDOUT, typeof d === 'string' ? Buffer.from(d) : d));
    p.onExit(({ exitCode, signal }) => setTimeout(() => onExit(signal ? null : exitCode, signal ? ((signalName(signal) ?? 'SIGKILL') as NodeJS.Signals) : null), 20));
    writeStdin = (b) => (p.write as (d: string | Buffer) => void)(b);
    endStdin = () => p.write('\x04');
    resize = (cols, rows) => {
      try {
        p.resize(cols, rows);
      } catch {
        /* exited */
      }
    };
  } else {
    // `runc run -d`: runc creates and starts the container and exits; the container's stdio are pipes this shim
    // owns (no copy through a resident runc), and as PR_SET_CHILD_SUBREAPER the shim inherits the container's
    // init when runc exits, reaps it and gets its exit status (128+N for a signal, as runc reported it).
    const n = native(c.installDir);
    n.setSubreaper();
    const [outR, outW] = n.pipe(256 * 1024); // room for the container to go on writing while the shim pauses (below)
    const [errR, errW] = n.pipe();
    const [inR, inW] = c.stdin ? n.pipe() : [-1, -1];
    detachedArgs(args);
    // runc is spawned by the native addon (vfork: node's child_process would copy this process and costs
    // ~3.5 ms to load) and reaped below with the container
    let runcPid = 0;
    let spawnError: Error | undefined;
    try {
      runcPid = n.spawn(c.runtime, [c.runtime, ...args], null, [c.stdin ? inR : -1, outW, errW], false, c.bundle);
    } catch (e) {
      spawnError = e as Error;
    }
    for (const fd of [outW, errW, inR]) if (fd >= 0) fs.closeSync(fd);
    const out = new net.Socket({ fd: outR, readable: true, writable: false });
    const err = new net.Socket({ fd: errR, readable: true, writable: false });
    let open = 2;
    let exitStatus: number | undefined;
    const done = () => {
      if (exitStatus !== undefined && open === 0) onExit(exitStatus, null);
    };
    for (const [sock, stream] of [[out, STDOUT], [err, STDERR]] as const) {
      // A fast writer's pipe is read in the small pieces it writes (~5 KB for `yes | head`), and every piece
      // costs a log record, a frame and a write in the CLI. When pieces follow each other closely the shim
      // waits 1 ms before reading again, so that the next read takes up to 64 KB at once. The first output after
      // a pause is handled at once (no delay for interactive output).
      let last = 0;
      sock.on('data', (d: Buffer) => {
        output(stream, d);
        const now = performance.now();
        if (d.length < 32768 && now - last < 5 && !sock.isPaused()) {
          sock.pause();
          setTimeout(() => {
            if (!backpressured) sock.resume();
          }, 1);
        }
        last = now;
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        open--;
        done();
      });
      pausables.push(sock);
    }
    if (inW >= 0) {
      const sink = new net.Socket({ fd: inW, readable: false, writable: true });
      sink.on('error', () => {});
      stdinSink = sink;
      writeStdin = (b) => sink.write(b);
      // a pipe has no shutdown(2): EOF is closing it once the data before it is written
      endStdin = () => sink.write(Buffer.alloc(0), () => sink.destroy());
    }
    // the shim is a subreaper: runc is its child, and when runc exits the container's init (and any orphan of
    // its setup) is reparented here. Statuses reaped before the container's pid is known are kept for it.
    const reaped = new Map<number, number>();
    const statusOf = (r: { code: number; signal: number }) => (r.signal ? 128 + r.signal : r.code);
    const containerExited = (status: number) => {
      exitStatus = status;
      // the pipes close when the container's last process is gone; don't wait forever for a stray holder
      setTimeout(() => {
        out.destroy();
        err.destroy();
      }, 2000).unref();
      done();
    };
    const runcExited = (status: number) => {
      const pid = status === 0 ? readPid() : 0;
      if (!pid) {
        out.destroy();
        err.destroy();
        onExit(status, null);
        return;
      }
      markStarted(pid);
      const early = reaped.get(pid);
      if (early !== undefined) containerExited(early);
    };
    const reap = () => {
      if (exitStatus !== undefined) return;
      for (;;) {
        let r: { pid: number; code: number; signal: number } | null;
        try {
          r = n.waitpid(-1, true);
        } catch {
          r = null; // ECHILD
        }
        if (!r) break;
        if (r.pid === runcPid) runcExited(statusOf(r));
        else if (r.pid === containerPid) {
          containerExited(statusOf(r));
          break;
        } else if (!containerPid && reaped.size < 64) reaped.set(r.pid, statusOf(r));
      }
    };
    if (spawnError) {
      runcStderr += `cannot run ${c.runtime}: ${spawnError.message}`;
      out.destroy();
      err.destroy();
      onExit(127, null);
    } else {
      process.on('SIGCHLD', reap);
      setInterval(reap, 1000); // a missed SIGCHLD costs at most a second
      reap(); // runc may be done already
    }
  }
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
  // OOM kills are counted in the container's cgroup, which runc removes when it exits: watch while it runs
  // (v2 notifies changes of memory.events through inotify; v1 does not, so it is polled: best effort there)
  const readOom = () => {
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(c.oomFile!, 'utf8'));
      if (m && Number(m[1]) > 0) oomKilled = true;
    } catch {
      /* not there yet, or gone */
    }
  };
  const oomTimer = c.oomFile ? setInterval(readOom, c.oomFile.endsWith('memory.events') ? 200 : 20) : undefined;
  let oomWatch: fs.FSWatcher | undefined;
  if (c.oomFile?.endsWith('memory.events')) {
    const tryWatch = () => {
      try {
        oomWatch = fs.watch(c.oomFile!, readOom);
        oomWatch.on('error', () => {});
      } catch {
        if (!started) setTimeout(tryWatch, 10);
      }
    };
    tryWatch();
  }
  // a foreground run waits for the cleanup: load its code while runc works (costs ~2.5 MB USS, so detached
  // containers, which mostly run long, load it only when they exit)
  if (c.foreground) setImmediate(() => loadCleanup().catch(() => {}));
  void exited.then(async (code) => {
    clearInterval(poll);
    if (oomTimer) clearInterval(oomTimer);
    if (c.oomFile && !c.tty) readOom(); // `runc run -d` leaves the cgroup until finish() drops it: a last look
    oomWatch?.close();
    watcher?.close();
    check();
    await finish(code);
  });
}

async function finish(code: number): Promise<void> {
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
    // `runc run -d` leaves runc's state and cgroups behind: drop them while the container still counts as
    // running (no exit.json yet), so that a `start` cannot race with this
    try {
      const [{ makeContext }, { dropRuncState }] = await loadCleanup();
      dropRuncState(makeContext({ root: c.root, runroot: c.runroot, runtime: c.runtime }, c.installDir, {}), c.id);
    } catch {
      /* the next start or rm drops it */
    }
  }
  try {
    writeFileAtomicSync(c.exitPath, JSON.stringify(exit) + '\n', undefined, !c.autoRemove);
  } catch (e) {
    error = `cannot write exit file: ${(e as Error).message}`;
  }
  if (logFd >= 0) fs.closeSync(logFd);
  logFd = -1;
  // a failure here (a lock held by a dying CLI, a native addon being rebuilt, ...) is retried a few times:
  // nobody else would unmount or --rm-remove the container until the next rm
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      const [{ makeContext }, { cleanupContainer }] = await loadCleanup();
      const ctx = makeContext({ root: c.root, runroot: c.runroot, runtime: c.runtime }, c.installDir, {});
      await cleanupContainer(ctx, c.id, { exit });
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

function loadCleanup(): NonNullable<typeof cleanupModules> {
  cleanupModules ??= Promise.all([import('../base/context.js'), import('../core/container/cleanup.js')]);
  return cleanupModules;
}

async function endAll(): Promise<void> {
  const waits: Array<Promise<void>> = [];
  for (const s of [...clients, ...(ctlOpen ? [ctl] : [])]) waits.push(new Promise((r) => s.end(() => r())));
  await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(0);
}
