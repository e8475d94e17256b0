import type { Command, WithCtx } from './types.js';
import { runFlags, createOptions, withPullProgress } from './run-flags.js';

export const createCommand: Command = {
  command: 'create <image> [command..]',
  describe: 'Create a container without starting it',
  builder: (y) => runFlags(y),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<Record<string, unknown>>;
    const { reconcileAfterReboot } = await import('../core/container/state.js');
    const { createContainer } = await import('../core/container/create.js');
    await reconcileAfterReboot(a.ctx);
    const rec = await createContainer(a.ctx, await withPullProgress(createOptions(a)));
    process.stdout.write(`${rec.id}\n`);
  },
};
