/** runc's `--log-format json` log: the last error it recorded (used by exec and by the shim). Only node:fs. */
import fs from 'node:fs';

export function lastRuncError(file: string): string | undefined {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const j = JSON.parse(lines[i]!);
        if (j.level === 'error' && j.msg) return String(j.msg);
      } catch {
        /* not a JSON line */
      }
    }
  } catch {
    /* no log */
  }
  return undefined;
}
