// dist/conman.js: loads dist/cli.cjs (the bundled CLI) through V8's code cache (dist/cli.cache), which saves
// parsing and compiling the bundle on every command. A missing or stale cache is simply not used.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

// `run`: spawn the shim before the big bundle loads (dist/prespawn.cjs, src/prespawn-entry.ts)
if (process.argv.includes('run')) {
  try {
    require('./prespawn.cjs');
  } catch {}
}
const file = path.join(__dirname, 'cli.cjs');
const cacheFile = path.join(__dirname, 'cli.cache');
const src = fs.readFileSync(file, 'utf8');
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script(Module.wrap(src), { filename: file, cachedData });
if (process.env.CONMAN_WRITE_CODE_CACHE === '1') {
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(tmp, script.createCachedData());
    fs.renameSync(tmp, cacheFile);
  });
}
const mod = { exports: {}, filename: file, id: file, paths: Module._nodeModulePaths(__dirname) };
script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, __dirname);
