/**
 * Atomic file writes: a temp file in the same directory, written, fsynced, renamed over the target. A reader sees
 * the old content or the new, never half of either; a crash leaves at most a stray `*.tmp` file.
 *
 * This was write-file-atomic until measured: it loads node:crypto (to hash a temp name) and worker_threads, and
 * installs signal-exit's handlers around every write; that was ~5 ms of every state-writing command and of every
 * container's shim, for a job of a dozen lines that conman needs in one form only (small files, synchronous).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConmanError } from '../base/errors.js';

let seq = 0;

/**
 * mode: the file's permissions, from its creation on (a secret is never readable by others, even as a temp
 * file); default 0666 less the umask. durable=false: still atomic for readers, but not fsynced.
 */
export function writeFileAtomicSync(file: string, data: string | Buffer, mode?: number, durable = true): void {
  const tmp = `${file}.${process.pid}.${++seq}.tmp`;
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'wx', mode ?? 0o666);
    if (mode !== undefined) fs.fchmodSync(fd, mode); // exactly, whatever the umask
    fs.writeFileSync(fd, data);
    if (durable) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** durable=false: still atomic for readers (rename), but not fsynced (for state that a crash makes moot anyway). */
export function writeJsonAtomic(file: string, value: unknown, mode?: number, durable = true): void {
  writeFileAtomicSync(file, JSON.stringify(value, null, 2) + '\n', mode, durable);
}

/** Reads a JSON file; a missing file is `undefined`, a corrupt one is a clear ESTATE error naming the file. */
export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConmanError('ESTATE', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ConmanError('ESTATE', `corrupt state file ${file}: ${(e as Error).message}`, {
      cause: e,
      hint: `move ${path.basename(file)} aside or remove the object it belongs to`,
    });
  }
}
