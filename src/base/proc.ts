/**
 * Whether a process lives, told apart from a later process that reused its pid: a pid is recorded with its
 * start time (clock ticks after boot, field 22 of /proc/PID/stat). One copy for the CLI and the shim.
 */
import fs from 'node:fs';

/** Start time of a process, or undefined if it does not exist or is a zombie. */
export function procStart(pid: number): string | undefined {
  if (!pid || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return rest[19];
}

/** The process lives (and, given a start time, is the one that was recorded). */
export function processAlive(pid: number, start?: string): boolean {
  const s = procStart(pid);
  if (s === undefined) return false;
  return start === undefined || s === start;
}

/** A pid exists (kill 0; a process we may not signal exists too). For pids named in file names of our own. */
export function pidExists(pid: number): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootIdCache: string | undefined;
/** This boot's id (/proc/sys/kernel/random/boot_id), 'unknown' where it cannot be read. */
export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = 'unknown';
    }
  }
  return bootIdCache;
}
