import type { Command, WithCtx } from './types.js';
import { ConmanError, ExitCodeError } from '../base/errors.js';
import { forEachRef } from './each.js';

export const startCommand: Command = {
  command: 'start <containers..>',
  describe: 'Start one or more containers',
  builder: (y) =>
    y
      .positional('containers', { type: 'string', array: true, describe: 'Containers (name or id)' })
      .option('attach', { alias: 'a', type: 'boolean', describe: "Attach the container's output and return its exit code" })
      .option('interactive', { alias: 'i', type: 'boolean', describe: 'Pass stdin to the container (with -a)' })
      .option('detach-keys', { type: 'string', describe: 'Key sequence to detach (with -ai and a terminal; default ctrl-p,ctrl-q)' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Forward signals to the container (with -a, without -t)' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ containers: string[]; attach?: boolean; interactive?: boolean; detachKeys?: string; sigProxy?: boolean }>;
    const ctx = a.ctx;
    const { reconcileAfterReboot } = await import('../core/container/state.js');
    const { startContainer, startDetached } = await import('../core/container/start.js');
    await reconcileAfterReboot(ctx);
    if (a.attach) {
      if (a.containers.length !== 1) throw new ConmanError('EUSAGE', 'start --attach takes exactly one container');
      const { resolveContainer } = await import('../core/container/record.js');
      const rec = resolveContainer(ctx, a.containers[0]!);
      if (a.detachKeys !== undefined) (await import('../cli/terminal/detachkeys.js')).parseDetachKeys(a.detachKeys);
      const { spawnShim } = await import('../core/runtime/shim-client.js');
      const fg = await import('../cli/terminal/foreground.js');
      const shim = spawnShim(ctx);
      fg.wireOutput(shim, !!(a.interactive && rec.config.interactive && rec.config.tty), undefined, !rec.config.tty && a.sigProxy !== false);
      const r = await startContainer(ctx, rec.id, { shim, foreground: true, rows: process.stdout.rows, cols: process.stdout.columns });
      if (!r) throw new ConmanError('ECTRSTATE', `container ${rec.name} is already running`);
      const code = await fg.runForeground(ctx, rec.id, shim, !!(a.interactive && rec.config.interactive), {
        tty: rec.config.tty,
        detachKeys: a.detachKeys,
        sigProxy: a.sigProxy,
      });
      if (code !== 0) throw new ExitCodeError(code);
      return;
    }
    await forEachRef(a.containers, async (ref) => {
      await startDetached(ctx, ref);
      process.stdout.write(`${ref}\n`);
    });
  },
};
