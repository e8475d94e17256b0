// The bundle's entry: kept tiny so that startup cost is only what main() needs.
import { main } from './main.js';

const warm = process.env.CONMAN_WRITE_CODE_CACHE === '1' ? process.env.CONMAN_WARM_COMMANDS : undefined;
if (warm) {
  // the build's code-cache warm-up (scripts/build.mjs): several commands in one process, so that the cache
  // holds what each of them compiles
  void (async () => {
    for (const argv of JSON.parse(warm) as string[][]) await main(argv).catch(() => {});
    process.exitCode = 0; // the warm-up `run` fails on purpose (no image)
  })();
} else void main(process.argv.slice(2));
