/**
 * Atomic file writes: a temp file in the same directory, fsync, rename (write-file-atomic does exactly this).
 * A reader sees the old content or the new, never half of either; a crash leaves at most a stray temp file.
 */
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { ConmanError } from '../core/errors.js';

export function writeFileAtomicSync(file: string, data: string | Buffer, mode?: number, durable = true): void {
  writeFileAtomic.sync(file, data, { fsync: durable, mode, chown: undefined });
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
