import { ConmanError, ExitCodeError } from '../base/errors.js';

/** Runs fn for every reference; errors are reported per container and the command exits 125 at the end. */
export async function forEachRef(refs: string[], fn: (ref: string) => Promise<void>): Promise<void> {
  if (refs.length === 1) return fn(refs[0]!);
  let failed: unknown;
  for (const r of refs) {
    try {
      await fn(r);
    } catch (e) {
      failed = e;
      process.stderr.write(`conman: ${(e as Error).message}\n`);
    }
  }
  if (failed) throw new ExitCodeError(failed instanceof ConmanError ? failed.exitCode : 125);
}
