import type { Command, WithCtx } from './types.js';
import { ConmanError } from '../base/errors.js';
import { forEachRef } from './each.js';

export const rmCommand: Command = {
  command: 'rm [containers..]',
  describe: 'Remove one or more containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Stop and remove running containers; ignore missing ones' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all containers' })
      .option('time', { alias: 't', type: 'number', describe: 'Seconds to wait for a stop before killing (with -f)' })
      .option('ignore', { alias: 'i', type: 'boolean', describe: 'Ignore containers that do not exist' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ containers?: string[]; force?: boolean; all?: boolean; time?: number; ignore?: boolean }>;
    const ctx = a.ctx;
    const { containerIds, reconcileAfterReboot } = await import('../core/container/state.js');
    const { removeContainer } = await import('../core/container/remove.js');
    await reconcileAfterReboot(ctx);
    let refs = a.containers ?? [];
    if (a.all) {
      refs = containerIds(ctx);
      if (!refs.length) return;
    }
    if (!refs.length) throw new ConmanError('EUSAGE', 'rm needs at least one container (or --all)');
    await forEachRef(refs, async (ref) => {
      try {
        await removeContainer(ctx, ref, { force: a.force, time: a.time ?? 0 });
      } catch (e) {
        if ((a.force || a.ignore) && (e as ConmanError).code === 'ENOSUCHCTR') return;
        // podman's codes for rm: 1 no such container, 2 still running
        if (e instanceof ConmanError && (e.code === 'ENOSUCHCTR' || e.code === 'ECTRSTATE'))
          throw new ConmanError(e.code, e.message, { hint: e.hint, exitCode: e.code === 'ENOSUCHCTR' ? 1 : 2 });
        throw e;
      }
      process.stdout.write(`${ref}\n`);
    });
  },
};
