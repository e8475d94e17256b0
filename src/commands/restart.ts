import type { Command, WithCtx } from './types.js';
import { forEachRef } from './each.js';

export const restartCommand: Command = {
  command: 'restart <containers..>',
  describe: 'Restart one or more containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', describe: 'Seconds to wait before killing the container' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ containers: string[]; time?: number }>;
    const ctx = a.ctx;
    const { reconcileAfterReboot } = await import('../core/container/state.js');
    const { restartContainer } = await import('../core/container/start.js');
    await reconcileAfterReboot(ctx);
    await forEachRef(a.containers, async (ref) => {
      await restartContainer(ctx, ref, a.time);
      process.stdout.write(`${ref}\n`);
    });
  },
};
