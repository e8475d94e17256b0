/**
 * Drives the real CLI through a pseudo-terminal (node-pty), the way a person at a terminal would:
 * type keys, wait for text on the screen, resize, and collect the exit code.
 */
import { createRequire } from 'node:module';
import type { IPty } from 'node-pty';
import { CONMAN } from './conman.js';

const require = createRequire(import.meta.url);

export interface Term {
  pty: IPty;
  /** Everything the terminal has shown so far (raw, with escape sequences). */
  output(): string;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Waits until the output after `from` (an index into output()) matches; returns the match. */
  expect(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ exitCode: number; signal?: number }>;
  kill(signal?: string): void;
}

export function spawnTerm(args: string[], env: NodeJS.ProcessEnv, size = { cols: 100, rows: 30 }): Term {
  const pty = require('node-pty') as typeof import('node-pty');
  const cleanEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
  cleanEnv.TERM = 'xterm-256color';
  const p = pty.spawn(CONMAN, args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, env: cleanEnv });
  let buf = '';
  const waiters = new Set<() => void>();
  p.onData((d) => {
    buf += d;
    // busybox ash asks for the cursor position; a real terminal answers, so this one does too.
    if (d.includes('\x1b[6n')) p.write('\x1b[1;1R');
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => p.onExit((e) => resolve(e)));
  return {
    pty: p,
    output: () => buf,
    write: (d) => p.write(d),
    resize: (c, r) => p.resize(c, r),
    kill: (s) => p.kill(s),
    exited,
    expect(re, timeoutMs = 15000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = buf.slice(from).match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${re} on the terminal; it shows:\n${JSON.stringify(buf.slice(from).slice(-2000))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
