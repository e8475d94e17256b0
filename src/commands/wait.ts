import type { Command, WithCtx } from './types.js';
import { forEachRef } from './each.js';

interface WaitArgs {
  containers: string[];
  condition?: string | string[];
  interval?: string;
  ignore?: boolean;
}

export const waitCommand: Command = {
  command: 'wait <containers..>',
  describe: 'Wait for containers to exit (or reach a condition) and print their exit codes',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('condition', { type: 'string', describe: 'Condition to wait for: stopped/exited (default), running, created, stopping, removing (repeatable)' })
      .option('interval', { alias: 'i', type: 'string', describe: 'Polling interval (e.g. 250ms, 2s; a plain number is milliseconds)' })
      .option('ignore', { type: 'boolean', describe: 'A missing container is no error: print -1 for it' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<WaitArgs>;
    const { reconcileAfterReboot } = await import('../core/container/state.js');
    const w = await import('../core/container/wait.js');
    const conditions = w.parseConditions(a.condition === undefined ? undefined : ([] as string[]).concat(a.condition).map(String));
    const interval = w.parseInterval(a.interval);
    await reconcileAfterReboot(a.ctx);
    await forEachRef(a.containers, async (ref) => {
      let code: number;
      try {
        code = await w.waitCondition(a.ctx, ref, conditions, interval);
      } catch (e) {
        if (!a.ignore || (e as { code?: string }).code !== 'ENOSUCHCTR') throw e;
        code = -1;
      }
      process.stdout.write(`${code}\n`);
    });
  },
};
