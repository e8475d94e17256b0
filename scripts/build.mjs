// Bundles the CLI and the shim into CommonJS single files: measured here, a CJS bundle loads ~20 ms faster
// than an ESM bundle with lazily loaded chunks, and V8's code cache (dist/cli.cache) takes off ~10 ms more.
// Modules behind `await import()` are still evaluated only when a command needs them.
// node-pty and the native addon stay outside the bundle: they are native and loaded only when needed.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
};

fs.rmSync('dist', { recursive: true, force: true });
fs.mkdirSync('dist');
fs.writeFileSync('dist/package.json', '{"type":"commonjs"}\n');
await build({ ...common, entryPoints: ['src/entry.ts'], outfile: 'dist/cli.cjs' });
fs.copyFileSync('scripts/loader.cjs', 'dist/conman.js');
if (fs.existsSync('src/shim/shim.ts')) {
  await build({ ...common, entryPoints: ['src/shim/shim.ts'], outfile: 'dist/shim.js' });
}
// Warm the code cache with commands that compile most of the startup path.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-build-'));
try {
  const env = { ...process.env, CONMAN_WRITE_CODE_CACHE: '1', CONMAN_ROOT: path.join(tmp, 'root') };
  delete env.NODE_EXTRA_CA_CERTS;
  execFileSync(process.execPath, ['dist/conman.js', 'ps', '-a'], { env, stdio: 'ignore' });
} catch {
  // no ps yet, or it failed: the cache from whatever ran is still useful; fall back to --help
  try {
    const env = { ...process.env, CONMAN_WRITE_CODE_CACHE: '1' };
    execFileSync(process.execPath, ['dist/conman.js', '--help'], { env, stdio: 'ignore' });
  } catch {}
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
