// dist/prespawn.cjs: the loader (scripts/loader.cjs) runs this small bundle before it loads the CLI bundle, so that
// for `run` the shim's node starts ~15 ms earlier (before the 1.6 MB CLI bundle is read and evaluated). The shim
// handle is left on globalThis for the CLI bundle's takePrespawned() (src/commands/prespawn.ts).
import path from 'node:path';
import { prespawnFor } from './commands/prespawn.js';

prespawnFor(process.argv.slice(2), path.resolve(__dirname, '..'));
