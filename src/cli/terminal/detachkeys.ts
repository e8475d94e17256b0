/**
 * Detach keys, with podman's syntax: a comma-separated sequence of keys, each a single character or
 * `ctrl-<c>` where c is a letter or one of @ [ \ ] ^ _. The default is `ctrl-p,ctrl-q`; "" disables detaching.
 * The matcher runs on the client side (in the CLI), over what the user types, and holds back a partial
 * match until it either completes (detach) or fails (the held bytes go through).
 */
import { ConmanError } from '../../base/errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_SPECIAL: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(key);
    const c = m?.[1];
    if (c !== undefined && /^[a-z]$/.test(c)) out.push(c.charCodeAt(0) - 96);
    else if (c !== undefined && c in CTRL_SPECIAL) out.push(CTRL_SPECIAL[c]!);
    else
      throw new ConmanError('EINVAL', `invalid detach keys "${spec}": "${key}" is not a key`, {
        hint: 'use single characters or ctrl-<a-z, @, [, \\, ], ^, _>, separated by commas, e.g. ctrl-p,ctrl-q',
      });
  }
  return Buffer.from(out);
}

/** Feeds input through; returns what to forward and whether the detach sequence was typed. */
export class DetachMatcher {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /**
   * `forward` is what should reach the container now. When `detach` is true the sequence was completed;
   * bytes after it in the same chunk are dropped (the client is leaving).
   */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      // Mismatch: the held prefix goes through, then this byte may start a new match.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
