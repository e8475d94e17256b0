import type { Command, WithCtx } from './types.js';
import { ConmanError } from '../base/errors.js';
import { forEachRef } from './each.js';

export const stopCommand: Command = {
  command: 'stop [containers..]',
  describe: 'Stop one or more running containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', describe: 'Seconds to wait before killing the container' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Stop all running containers' })
      .option('ignore', { alias: 'i', type: 'boolean', describe: 'Ignore containers that do not exist' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ containers?: string[]; time?: number; all?: boolean; ignore?: boolean }>;
    const ctx = a.ctx;
    const { containerIds, reconcileAfterReboot } = await import('../core/container/state.js');
    const { stopContainer } = await import('../core/container/stop.js');
    if (a.time !== undefined && (!Number.isFinite(a.time) || a.time < 0)) throw new ConmanError('EINVAL', `invalid --time ${a.time}`);
    await reconcileAfterReboot(ctx);
    let refs = a.containers ?? [];
    if (a.all) {
      refs = containerIds(ctx, { running: true });
      if (!refs.length) return;
    }
    if (!refs.length) throw new ConmanError('EUSAGE', 'stop needs at least one container (or --all)');
    await forEachRef(refs, async (ref) => {
      try {
        await stopContainer(ctx, ref, a.time);
      } catch (e) {
        if (a.ignore && (e as ConmanError).code === 'ENOSUCHCTR') return;
        throw e;
      }
      process.stdout.write(`${ref}\n`);
    });
  },
};
