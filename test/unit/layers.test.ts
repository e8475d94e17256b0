/**
 * The layering of src/ (docs/DESIGN.md): imports only go downward. Reads every src/**\/*.ts, takes its
 * relative imports (static, `import type`, `export ... from`, `typeof import()`, dynamic import(),
 * require()) and fails on any that runs upward, printing each as `file -> import`.
 *   base                     → nothing of ours outside base
 *   storage                  → base, storage
 *   core/{runtime,network,image} → not core/container, cli, commands, shim (but shim/protocol.ts)
 *   core/*                   → not cli, commands, shim (but shim/protocol.ts)
 *   cli                      → not commands, shim (but shim/protocol.ts)
 *   shim                     → base, storage, shim, and core/container/shim-entry.ts only
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(REPO, 'src');
const PROTOCOL = 'src/shim/protocol.ts';
const SHIM_ENTRY = 'src/core/container/shim-entry.ts';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier the file names, in any form of import. */
export function specifiers(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const lit = (n: ts.Node | undefined) => {
    if (n && ts.isStringLiteralLike(n)) found.push(n.text);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) lit(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) lit(n.moduleReference.expression);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) lit(n.argument.literal);
    else if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if ((isImport || isRequire) && n.arguments.length > 0) lit(n.arguments[0]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The repository-relative path a relative specifier names (`./x.js` → `src/.../x.ts` when that exists). */
function resolve(from: string, spec: string): string {
  let p = path.resolve(path.dirname(from), spec);
  if (p.endsWith('.js') && fs.existsSync(p.slice(0, -3) + '.ts')) p = p.slice(0, -3) + '.ts';
  return path.relative(REPO, p).split(path.sep).join('/');
}

type Layer = 'base' | 'storage' | 'core/container' | 'core/other' | 'cli' | 'commands' | 'shim' | 'top' | 'outside';

function layerOf(rel: string): Layer {
  if (!rel.startsWith('src/')) return 'outside';
  const parts = rel.split('/');
  if (parts.length === 2) return 'top';
  const first = parts[1]!;
  if (first === 'core') return parts[2] === 'container' ? 'core/container' : 'core/other';
  if (first === 'base' || first === 'storage' || first === 'cli' || first === 'commands' || first === 'shim') return first;
  return 'top';
}

/** Why `from` may not import `to` (both repository-relative), or undefined when it may. */
export function violation(from: string, to: string): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (b === 'outside' || a === 'top' || a === 'commands') return undefined;
  switch (a) {
    case 'base':
      return b === 'base' ? undefined : 'base imports nothing of ours';
    case 'storage':
      return b === 'base' || b === 'storage' ? undefined : 'storage imports only base';
    case 'core/other':
      if (b === 'core/container') return 'core/{runtime,network,image} never import core/container';
      if (b === 'shim' && to !== PROTOCOL) return 'the core reaches the shim only through shim/protocol.ts';
      return b === 'cli' || b === 'commands' || b === 'top' ? 'the core never imports cli, commands or the entry points' : undefined;
    case 'core/container':
      if (b === 'shim' && to !== PROTOCOL) return 'the core reaches the shim only through shim/protocol.ts';
      return b === 'cli' || b === 'commands' || b === 'top' ? 'the core never imports cli, commands or the entry points' : undefined;
    case 'cli':
      if (b === 'shim' && to !== PROTOCOL) return 'cli reaches the shim only through shim/protocol.ts';
      return b === 'commands' || b === 'top' ? 'cli never imports commands or the entry points' : undefined;
    case 'shim':
      if (b === 'base' || b === 'storage' || b === 'shim' || to === SHIM_ENTRY) return undefined;
      return `the shim imports base, storage, shim/ and ${SHIM_ENTRY} only`;
  }
  return undefined;
}

test('layer rules themselves', () => {
  assert.equal(violation('src/base/a.ts', 'src/storage/layout.ts'), 'base imports nothing of ours');
  assert.equal(violation('src/storage/a.ts', 'src/base/context.ts'), undefined);
  assert.ok(violation('src/storage/a.ts', 'src/core/image/store.ts'));
  assert.ok(violation('src/core/image/a.ts', 'src/core/container/record.ts'));
  assert.equal(violation('src/core/image/a.ts', 'src/core/network/index.ts'), undefined);
  assert.equal(violation('src/core/runtime/shim-client.ts', PROTOCOL), undefined);
  assert.ok(violation('src/core/runtime/a.ts', 'src/shim/main.ts'));
  assert.ok(violation('src/core/container/a.ts', 'src/cli/table.ts'));
  assert.equal(violation('src/core/container/a.ts', 'src/core/image/store.ts'), undefined);
  assert.ok(violation('src/cli/a.ts', 'src/commands/run.ts'));
  assert.equal(violation('src/cli/a.ts', 'src/core/container/state.ts'), undefined);
  assert.equal(violation('src/shim/main.ts', SHIM_ENTRY), undefined);
  assert.ok(violation('src/shim/main.ts', 'src/core/container/cleanup.ts'));
  assert.ok(violation('src/shim/main.ts', 'src/cli/table.ts'));
  assert.equal(violation('src/shim/main.ts', 'src/storage/atomic.ts'), undefined);
  assert.equal(violation('src/commands/run.ts', 'src/shim/main.ts'), undefined);
  assert.deepEqual(
    specifiers('x.ts', "import a from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\n// import('./no.js')\nconst d = await import('./d.js');\nconst e = require('./e.js');\ntype F = typeof import('./f.js');\n"),
    ['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js'],
  );
});

test('no import in src/ runs upward', () => {
  const bad = new Set<string>();
  let edges = 0;
  for (const file of sources(SRC)) {
    const from = path.relative(REPO, file).split(path.sep).join('/');
    for (const spec of specifiers(file, fs.readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue; // node: built-ins and packages
      edges++;
      const to = resolve(file, spec);
      const why = violation(from, to);
      if (why) bad.add(`${from} -> ${to}   (${why})`);
    }
  }
  assert.ok(edges > 100, `found only ${edges} relative imports: is the scanner broken?`);
  if (bad.size) assert.fail(`${bad.size} upward imports:\n${[...bad].join('\n')}`);
});
