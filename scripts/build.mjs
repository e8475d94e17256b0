// Bundles the CLI and the shim into CommonJS single files: measured here, a CJS bundle loads ~20 ms faster
// than an ESM bundle with lazily loaded chunks, and V8's code cache (dist/cli.cache) takes off ~10 ms more.
// Modules behind `await import()` are still evaluated only when a command needs them.
// node-pty and the native addon stay outside the bundle: they are native and loaded only when needed.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The native addon: rebuilt only when its sources changed, so that a build never pulls it from under
// running conman processes (node-gyp rebuild starts by deleting native/build).
const addon = 'native/build/Release/conman_native.node';
const newest = Math.max(...['native/conman_native.c', 'native/binding.gyp'].map((f) => fs.statSync(f).mtimeMs));
if (!fs.existsSync(addon) || fs.statSync(addon).mtimeMs < newest) {
  execFileSync('npm', ['run', '--silent', 'build:native'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['node-pty'],
  // import.meta.url has no meaning in CJS: give each bundle its own file URL.
  define: { 'import.meta.url': '__conman_import_meta_url' },
  banner: { js: 'var __conman_import_meta_url = require("url").pathToFileURL(__filename).href;' },
  legalComments: 'none',
  logLevel: 'warning',
  minifySyntax: true,
  // `import()` of anything left outside the bundle (node: built-ins, node-pty) becomes require(): the code-cache
  // loader runs the bundle through vm.Script, where a real dynamic import needs an experimental hook.
  supported: { 'dynamic-import': false },
  // graceful-fs (pulled in by proper-lockfile) patches fs at load: see src/shim/lite/plain-fs.cjs
  alias: { 'graceful-fs': './src/shim/lite/plain-fs.cjs' },
};

// Build into a fresh directory beside dist/ and swap it in at the end, so that conman processes (and test
// runs) using dist/ never see it half-written.
const out = `dist.build-${process.pid}`;
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out);
fs.writeFileSync(`${out}/package.json`, '{"type":"commonjs"}\n');
// undici (the registry client's HTTP, ~1 MB of the 1.7 MB bundle) is only needed by pull, push-like and login
// commands: it is bundled apart into dist/undici.cjs, so that every other command reads and maps a bundle of
// a third the size. The loader's require() resolves ./undici.cjs next to it.
const undiciApart = {
  name: 'undici-apart',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: './undici.cjs', external: true }));
  },
};
// execa (~270 kB with its dependencies) runs the tools of bridge networking only: apart too, dist/execa.cjs.
const execaApart = {
  name: 'execa-apart',
  setup(b) {
    b.onResolve({ filter: /^execa$/ }, () => ({ path: './execa.cjs', external: true }));
  },
};
await build({ ...common, entryPoints: ['src/entry.ts'], outfile: `${out}/cli.cjs`, plugins: [undiciApart, execaApart] });
await build({ ...common, entryPoints: ['node_modules/undici/index.js'], outfile: `${out}/undici.cjs` });
await build({ ...common, entryPoints: ['node_modules/execa/index.js'], outfile: `${out}/execa.cjs` });
fs.copyFileSync('scripts/loader.cjs', `${out}/conman.js`);
if (fs.existsSync('src/prespawn-entry.ts')) {
  await build({ ...common, entryPoints: ['src/prespawn-entry.ts'], outfile: `${out}/prespawn.cjs` });
}
// The shim starts on every `run` and lives as long as its container: its bundle holds only what it runs
// while the container runs. The cleanup after the exit (the shim's one way into the core, and with it the
// network teardown, locks, records) is bundled apart into dist/shim-cleanup.cjs and required only then: a
// shim reads, parses and keeps a bundle of what it needs, not of the core.
const shimCleanupApart = {
  name: 'shim-cleanup-apart',
  setup(b) {
    b.onResolve({ filter: /\/core\/container\/shim-entry\.js$/ }, () => ({ path: './shim-cleanup.cjs', external: true }));
  },
};
if (fs.existsSync('src/shim/main.ts')) {
  await build({ ...common, entryPoints: ['src/shim/main.ts'], outfile: `${out}/shim.js`, plugins: [shimCleanupApart] });
  await build({ ...common, entryPoints: ['src/core/container/shim-entry.ts'], outfile: `${out}/shim-cleanup.cjs` });
}
// esbuild's __toESM copies every property of a module (node:fs has ~100) into a fresh namespace object at
// each import site: with ~60 modules importing fs, path and friends that is ~3 ms of every start. The copy
// is a set of getters onto the module, so one per (module, mode) serves every site: memoize it.
function memoizeToESM(file) {
  const text = fs.readFileSync(file, 'utf8');
  const helper = 'var __toESM = (mod, isNodeMode, target) =>';
  if (!text.includes(helper)) return;
  const memo =
    'var __toESMmemo = [new WeakMap(), new WeakMap()], __toESM = (mod, isNodeMode, target) => {\n' +
    '  if (target || mod == null || (typeof mod !== "object" && typeof mod !== "function")) return __toESM1(mod, isNodeMode, target);\n' +
    '  const m = __toESMmemo[isNodeMode ? 1 : 0];\n' +
    '  let ns = m.get(mod);\n' +
    '  if (ns === undefined) m.set(mod, (ns = __toESM1(mod, isNodeMode)));\n' +
    '  return ns;\n' +
    '};\n';
  fs.writeFileSync(file, text.replace(helper, `${memo}var __toESM1 = (mod, isNodeMode, target) =>`));
}
for (const f of ['cli.cjs', 'shim.js', 'shim-cleanup.cjs', 'prespawn.cjs']) if (fs.existsSync(`${out}/${f}`)) memoizeToESM(`${out}/${f}`);

// rename(2) cannot replace a non-empty directory: move the old one aside first, then drop it.
const old = `dist.old-${process.pid}`;
if (fs.existsSync('dist')) fs.renameSync('dist', old);
fs.renameSync(out, 'dist');
fs.rmSync(old, { recursive: true, force: true });

// Warm the code cache in place (V8 keeps the script's file name in it) with commands that compile most of the
// common paths, in one process (src/entry.ts): `ps -a`, `images`, and a `run` that goes as far as it can
// without an image (options, the handler, the store, the image lookup). The loader writes the cache beside
// the bundle with a rename.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-build-'));
const warmEnv = {
  ...process.env,
  CONMAN_WRITE_CODE_CACHE: '1',
  CONMAN_ROOT: path.join(tmp, 'root'),
  CONMAN_RUNROOT: path.join(tmp, 'run'),
  CONMAN_WARM_COMMANDS: JSON.stringify([
    ['ps', '-a'],
    ['images'],
    ['run', '--rm', '--pull', 'never', '--network', 'none', 'conman-warm-up.invalid/none', 'true'],
  ]),
};
delete warmEnv.NODE_EXTRA_CA_CERTS;
try {
  execFileSync(process.execPath, ['dist/conman.js'], { env: warmEnv, stdio: 'ignore' });
} catch {
  try {
    execFileSync(process.execPath, ['dist/conman.js', '--help'], { env: { ...warmEnv, CONMAN_WARM_COMMANDS: '' }, stdio: 'ignore' });
  } catch {}
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

// Shell completions come from the command definitions themselves (yargs answers `--get-yargs-completions`).
fs.mkdirSync('completions', { recursive: true });
for (const [shell, out] of [['/bin/bash', 'completions/conman.bash'], ['/bin/zsh', 'completions/_conman']]) {
  const env = { ...process.env, SHELL: shell };
  delete env.NODE_EXTRA_CA_CERTS;
  const text = execFileSync(process.execPath, ['dist/conman.js', 'completion'], { env, encoding: 'utf8' });
  fs.writeFileSync(out, `# generated by scripts/build.mjs from conman's command definitions; do not edit\n${text}`);
}
