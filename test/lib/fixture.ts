/**
 * Starts the suite's shared registry and pushes the standard images to it; prints `ADDR PID`.
 * Used by test/run.sh (`node --import tsx test/lib/fixture.ts`), which stops the registry at the end.
 */
import { buildImage, startRegistry } from './registry.js';

const reg = await startRegistry();
buildImage(reg.addr, 'busybox', 'latest', { config: ['--config.cmd', 'sh', '--config.env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
process.stdout.write(`${reg.addr} ${reg.proc.pid}\n`);
reg.proc.unref();
process.exit(0);
