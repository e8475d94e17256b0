/**
 * The shim as PR_SET_CHILD_SUBREAPER: runc is its child, and when `runc run -d` exits the container's init
 * (and any orphan of its setup) is reparented here. waitpid(-1, WNOHANG) on every SIGCHLD (and once a second,
 * in case one was missed) reaps them all; the container's status is 128+N for a signal N, as runc reports it.
 */
import type { Native } from '../base/native.js';

export interface ReapEvents {
  /** the container's pid once known (from runc's pid file), else 0 */
  containerPid(): number;
  /** runc exited with this status; returns the container's pid, or 0 when it never started */
  runcExited(status: number): number;
  /** the container's init exited with this status (called once) */
  containerExited(status: number): void;
}

const statusOf = (r: { code: number; signal: number }) => (r.signal ? 128 + r.signal : r.code);

export function reapChildren(n: Native, runcPid: number, on: ReapEvents): void {
  // statuses reaped before the container's pid is known are kept for it
  const reaped = new Map<number, number>();
  let done = false;
  const containerExited = (status: number) => {
    done = true;
    on.containerExited(status);
  };
  const reap = () => {
    if (done) return;
    for (;;) {
      let r: { pid: number; code: number; signal: number } | null;
      try {
        r = n.waitpid(-1, true);
      } catch {
        r = null; // ECHILD
      }
      if (!r) break;
      if (r.pid === runcPid) {
        const pid = on.runcExited(statusOf(r));
        const early = pid ? reaped.get(pid) : undefined;
        if (early !== undefined) containerExited(early);
      } else if (r.pid === on.containerPid()) {
        containerExited(statusOf(r));
        break;
      } else if (!on.containerPid() && reaped.size < 64) reaped.set(r.pid, statusOf(r));
    }
  };
  process.on('SIGCHLD', reap);
  setInterval(reap, 1000); // a missed SIGCHLD costs at most a second
  reap(); // runc may be done already
}
