/**
 * Concurrent network commands through the CLI: creates without a name, run at the same time, each get their
 * own name (conmanN, chosen under the networks lock), subnet and bridge. Real bridges and iptables rules.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { newStore, show, type Store } from './lib/conman.js';

const stores: Store[] = [];

function store(): Store {
  const s = newStore('netc');
  stores.push(s);
  return s;
}

/** Removes every network a store made but the default one (their bridges and rules go with them). */
function cleanup(s: Store): void {
  for (const n of s.run(['network', 'ls', '-q']).stdout.split('\n').filter((n) => n && n !== 'conman')) s.run(['network', 'rm', '-f', n]);
}

after(() => {
  for (const s of stores) cleanup(s);
});

test('concurrent network creates without a name get distinct names, subnets and bridges', async () => {
  const s = store();
  try {
    const results = await Promise.all([1, 2, 3, 4].map(() => s.runAsync(['network', 'create'])));
    for (const r of results) assert.equal(r.code, 0, `conman network create: ${show(r)}`);
    const names = results.map((r) => r.stdout.trim());
    assert.equal(new Set(names).size, 4, `names: ${names.join(', ')}`);
    for (const n of names) assert.match(n, /^conman\d+$/);

    const ls = s.run(['network', 'ls', '--format', '{{.Name}} {{.Subnet}} {{.NetworkInterface}}']);
    assert.equal(ls.code, 0, show(ls));
    const rows = ls.stdout.trim().split('\n').map((l) => l.split(' ')).filter(([n]) => names.includes(n!));
    assert.equal(rows.length, 4, ls.stdout);
    const subnets = rows.map((r) => r[1]);
    assert.equal(new Set(subnets).size, 4, `subnets: ${subnets.join(', ')}`);
    const bridges = rows.map((r) => r[2]);
    assert.equal(new Set(bridges).size, 4, `bridges: ${bridges.join(', ')}`);
  } finally {
    cleanup(s);
  }
});
