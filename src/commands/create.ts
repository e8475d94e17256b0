import type { Command, WithCtx } from './types.js';
import { runFlags, createOptions } from './run-flags.js';

export const createCommand: Command = {
  command: 'create <image> [command..]',
  describe: 'Create a container without starting it',
  builder: (y) => runFlags(y),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<Record<string, unknown>>;
    const lc = await import('../core/container/lifecycle.js');
    await lc.reconcileAfterReboot(a.ctx);
    const rec = await lc.createContainer(a.ctx, createOptions(a));
    process.stdout.write(`${rec.id}\n`);
  },
};
