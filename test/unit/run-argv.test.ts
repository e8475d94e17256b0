import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { splitRunArgv } from '../../src/commands/run-argv.js';
import { runFlags } from '../../src/commands/run-flags.js';
import { runCommand } from '../../src/commands/run.js';
import type { Argv } from '../../src/commands/types.js';

test('run/create: every option that takes a value is known to the split at the image (else it swallows the image)', () => {
  // the options as yargs has them from the command modules themselves
  const y = (runCommand.builder as (y: Argv) => Argv)(runFlags(yargs([])));
  const o = (y as unknown as { getOptions(): { string: string[]; alias: Record<string, string[]> } }).getOptions();
  const names = new Set<string>();
  for (const n of o.string) {
    names.add(n);
    for (const a of o.alias[n] ?? []) names.add(a);
  }
  const missed: string[] = [];
  for (const n of names) {
    if (/[A-Z]/.test(n) || n === 'image' || n === 'command') continue; // camelCase twins; the positionals
    const flag = n.length === 1 ? `-${n}` : `--${n}`;
    const got = splitRunArgv(['run', flag, 'VALUE', 'img', 'cmd', '-x']);
    if (JSON.stringify(got) !== JSON.stringify(['run', flag, 'VALUE', 'img', '--', 'cmd', '-x'])) missed.push(flag);
  }
  assert.deepEqual(missed, []);
});
