import type { Command, WithCtx } from './types.js';
import { forEachRef } from './each.js';

export const waitCommand: Command = {
  command: 'wait <containers..>',
  describe: 'Wait for containers to exit and print their exit codes',
  builder: (y) => y.positional('containers', { type: 'string', array: true }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ containers: string[] }>;
    const lc = await import('../core/lifecycle.js');
    await lc.reconcileAfterReboot(a.ctx);
    await forEachRef(a.containers, async (ref) => {
      const code = await lc.waitContainer(a.ctx, ref);
      process.stdout.write(`${code}\n`);
    });
  },
};
