/**
 * `runc run -d`: runc creates and starts the container and exits; the container's stdio are pipes this shim
 * owns (no copy through a resident runc), and the shim, a subreaper (./reaper.ts), inherits the container's
 * init when runc exits and gets its exit status.
 */
import fs from 'node:fs';
import net from 'node:net';
import { native } from '../base/native.js';
import { STDOUT, STDERR, type ShimConfig } from './protocol.js';
import type { ContainerIO, ShimHost } from './io.js';
import { reapChildren } from './reaper.js';

/** `... run --pid-file P -b B ID` → `... run -d --pid-file P -b B ID` */
function detachedArgs(args: string[]): void {
  args.splice(args.indexOf('run') + 1, 0, '-d');
}

export function runDetached(c: ShimConfig, args: string[], host: ShimHost, io: ContainerIO): void {
  const n = native(c.installDir);
  n.setSubreaper();
  const [outR, outW] = n.pipe(256 * 1024); // room for the container to go on writing while the shim pauses (below)
  const [errR, errW] = n.pipe();
  const [inR, inW] = c.stdin ? n.pipe() : [-1, -1];
  detachedArgs(args);
  // runc is spawned by the native addon (vfork: node's child_process would copy this process and costs
  // ~3.5 ms to load) and reaped with the container
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
    if (exitStatus !== undefined && open === 0) host.exited(exitStatus, null);
  };
  for (const [sock, stream] of [[out, STDOUT], [err, STDERR]] as const) {
    // A fast writer's pipe is read in the small pieces it writes (~5 KB for `yes | head`), and every piece
    // costs a log record, a frame and a write in the CLI. When pieces follow each other closely the shim
    // waits 1 ms before reading again, so that the next read takes up to 64 KB at once. The first output after
    // a pause is handled at once (no delay for interactive output).
    let last = 0;
    sock.on('data', (d: Buffer) => {
      host.output(stream, d);
      const now = performance.now();
      if (d.length < 32768 && now - last < 5 && !sock.isPaused()) {
        sock.pause();
        setTimeout(() => {
          if (!host.backpressured()) sock.resume();
        }, 1);
      }
      last = now;
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      open--;
      done();
    });
    io.pausables.push(sock);
  }
  if (inW >= 0) {
    const sink = new net.Socket({ fd: inW, readable: false, writable: true });
    sink.on('error', () => {});
    io.writeStdin = (b) => sink.write(b);
    // a pipe has no shutdown(2): EOF is closing it once the data before it is written
    io.endStdin = () => sink.write(Buffer.alloc(0), () => sink.destroy());
  }
  if (spawnError) {
    host.runcFailed(`cannot run ${c.runtime}: ${spawnError.message}`);
    out.destroy();
    err.destroy();
    host.exited(127, null);
    return;
  }
  reapChildren(n, runcPid, {
    containerPid: () => host.containerPid(),
    runcExited: (status) => {
      const pid = status === 0 ? host.readPid() : 0;
      if (!pid) {
        out.destroy();
        err.destroy();
        host.exited(status, null);
        return 0;
      }
      host.markStarted(pid);
      return pid;
    },
    containerExited: (status) => {
      exitStatus = status;
      // the pipes close when the container's last process is gone; don't wait forever for a stray holder
      setTimeout(() => {
        out.destroy();
        err.destroy();
      }, 2000).unref();
      done();
    },
  });
}
