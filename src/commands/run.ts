import type { Command, WithCtx } from './types.js';
import { runFlags, createOptions, withPullProgress } from './run-flags.js';
import { ExitCodeError } from '../base/errors.js';

export const runCommand: Command = {
  command: 'run <image> [command..]',
  describe: 'Run a command in a new container',
  builder: (y) =>
    runFlags(y)
      .option('detach', { alias: 'd', type: 'boolean', describe: 'Run in the background and print the container id' })
      .option('detach-keys', { type: 'string', describe: 'Key sequence to detach (with -it)' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Forward signals to the container (without -t)' })
      .option('attach', { alias: 'a', type: 'string', describe: 'Attach only these streams: stdin, stdout, stderr (repeatable)' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<Record<string, unknown>>;
    const ctx = a.ctx;
    const o = await withPullProgress(createOptions(a));
    // the shim's node starts first, while we validate, look up the image, mount and write the spec;
    // on bad input it is told nothing and exits when its fd 3 closes
    const { spawnShim } = await import('../core/runtime/shim-client.js');
    const { takePrespawned } = await import('./prespawn.js');
    const shim = takePrespawned() ?? spawnShim(ctx);
    const detach = !!a.detach;
    let streams: Set<string> | undefined;
    try {
      streams = (await import('../cli/terminal/foreground.js')).parseAttachStreams(a.attach, detach);
    } catch (e) {
      shim.abort();
      throw e;
    }
    let rec;
    try {
      const { validateCreate } = await import('../core/container/options.js');
      validateCreate(o);
      if (a.detachKeys !== undefined) (await import('../cli/terminal/detachkeys.js')).parseDetachKeys(String(a.detachKeys));
      const { reconcileAfterReboot } = await import('../core/container/state.js');
      await reconcileAfterReboot(ctx);
      const { createContainer } = await import('../core/container/create.js');
      rec = await createContainer(ctx, o);
    } catch (e) {
      shim.abort();
      throw e;
    }
    const { startNew } = await import('../core/container/start.js');
    const { stopContainer } = await import('../core/container/stop.js');
    const fg = await import('../cli/terminal/foreground.js');
    const interactive = !!o.interactive && (!streams || streams.has('stdin'));
    if (!detach) {
      // podman: warn and go on (a pipeline is never hung: stdin's EOF still reaches the container)
      if (o.tty && interactive && !process.stdin.isTTY)
        ctx.warn('The input device is not a TTY. The --tty and --interactive flags might not work properly');
      fg.wireOutput(shim, !!(o.tty && interactive), streams, !o.tty && a.sigProxy !== false, () => stopContainer(ctx, rec.id));
    }
    await startNew(ctx, rec, {
      shim,
      foreground: !detach,
      rows: process.stdout.rows,
      cols: process.stdout.columns,
    });
    if (detach) {
      shim.detach();
      process.stdout.write(`${rec.id}\n`);
      return;
    }
    const code = await fg.runForeground(ctx, rec.id, shim, interactive, { tty: !!o.tty, detachKeys: a.detachKeys as string | undefined, sigProxy: a.sigProxy as boolean | undefined });
    if (code !== 0) throw new ExitCodeError(code);
  },
};
