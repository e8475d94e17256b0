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
    const lc = await import('../core/container/lifecycle.js');
    await lc.reconcileAfterReboot(ctx);
    await forEachRef(a.containers, async (ref) => {
      const rec = await lc.stopContainer(ctx, ref, a.time);
      const r = await lc.startContainer(ctx, rec.id);
      r?.shim.detach();
      process.stdout.write(`${ref}\n`);
    });
  },
};
