/**
 * The CLI as a whole: every command answers --help, has a man page whose OPTIONS name its flags, and the
 * generated shell completion offers the commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newStore, show, REPO, CONMAN } from './lib/conman.js';

const store = newStore('cli');

function commandsIn(helpText: string): string[] {
  const out: string[] = [];
  let inCommands = false;
  for (const line of helpText.split('\n')) {
    if (/^Commands:/.test(line)) { inCommands = true; continue; }
    if (inCommands && /^\S/.test(line)) break;
    const m = /^\s+conman(?: [a-z]+)* ([a-z][a-z-]*)\b/.exec(line);
    if (inCommands && m) out.push(m[1]!);
  }
  return out;
}

const top = store.run(['--help']);
const topCommands = commandsIn(top.stdout);

test('conman --help lists commands', () => {
  assert.equal(top.code, 0, show(top));
  assert.ok(topCommands.length >= 3, `commands found: ${topCommands.join(' ')}`);
});

test('every command answers --help with exit 0 and a usage line', () => {
  for (const c of topCommands) {
    const r = store.run([c, '--help']);
    assert.equal(r.code, 0, `${c}: ${show(r)}`);
    assert.match(r.stdout, new RegExp(`conman ${c}`), `${c} --help names itself`);
    for (const sub of commandsIn(r.stdout)) {
      const s = store.run([c, sub, '--help']);
      assert.equal(s.code, 0, `${c} ${sub}: ${show(s)}`);
    }
  }
});

test('every top-level command has a man page that names each of its long flags', () => {
  const skip = new Set(['completion', 'version']);
  for (const c of topCommands) {
    if (skip.has(c)) continue;
    const page = path.join(REPO, 'man', `conman-${c}.1.md`);
    assert.ok(fs.existsSync(page), `missing man page ${path.relative(REPO, page)}`);
    const text = fs.readFileSync(page, 'utf8');
    const help = store.run([c, '--help']).stdout;
    const globals = new Set(['--root', '--runroot', '--runtime', '--log-level', '--help', '--version']);
    for (const m of help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)) {
      if (globals.has(m[1]!)) continue;
      // a boolean that defaults to true is documented by its negation (--trunc as --no-trunc), as podman does
      const negated = `--no-${m[1]!.slice(2)}`;
      assert.ok(text.includes(m[1]!) || text.includes(negated), `man/conman-${c}.1.md does not describe ${m[1]}`);
    }
  }
});

test('bash completion offers commands', () => {
  const script = path.join(REPO, 'completions', 'conman.bash');
  const out = execFileSync(
    'bash',
    ['-c', `source "${script}"; COMP_WORDS=(conman v); COMP_CWORD=1; _conman_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`],
    { env: { ...store.env, PATH: `${path.dirname(CONMAN)}:${process.env.PATH}` }, encoding: 'utf8' },
  );
  assert.match(out, /^version$/m);
});
