/**
 * Short-lived locks around read-modify-write of state files. proper-lockfile makes an atomic mkdir lock
 * with a heartbeat, so a lock whose holder was SIGKILLed goes stale after STALE_MS and is taken over.
 * Locks are never held across waits (stop timeouts, attach, logs -f, a foreground run).
 */
import fs from 'node:fs';
import lockfile from 'proper-lockfile';
import { ConmanError } from '../base/errors.js';

const STALE_MS = 5000;

export async function withLock<T>(lockPath: string, fn: () => Promise<T> | T): Promise<T> {
  let release: () => Promise<void>;
  try {
    fs.mkdirSync(lockPath.replace(/\/[^/]*$/, ''), { recursive: true });
    release = await lockfile.lock(lockPath, {
      lockfilePath: lockPath,
      realpath: false,
      stale: STALE_MS,
      update: STALE_MS / 2,
      retries: { retries: 400, factor: 1.2, minTimeout: 5, maxTimeout: 60, randomize: true },
      onCompromised: () => {
        /* the heartbeat failed (e.g. the directory vanished with its container): nothing to do */
      },
    });
  } catch (e) {
    throw new ConmanError('ELOCK', `cannot take lock ${lockPath}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
