// Bundles the CLI (dist/conman.js + lazily loaded chunks) and the shim (dist/shim.js, self-contained and small).
// node-pty and the native addon stay outside the bundle: they are native and loaded only when needed.
import { build } from 'esbuild';
import fs from 'node:fs';

const banner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['node-pty'],
  banner,
  legalComments: 'none',
  logLevel: 'warning',
  sourcemap: false,
  minifySyntax: true,
};

fs.rmSync('dist', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { conman: 'src/entry.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.js' },
});
if (fs.existsSync('src/shim/shim.ts')) {
  await build({ ...common, entryPoints: { shim: 'src/shim/shim.ts' }, outdir: 'dist', splitting: false });
}
fs.writeFileSync('dist/package.json', '{"type":"module"}\n');
