import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The suite's scratch directory (test/run.sh makes it and removes it, with everything under it, at the end). */
export function testTmp(): string {
  const dir = process.env.CONMAN_TEST_TMP || path.join(os.tmpdir(), 'conman-test-adhoc');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
