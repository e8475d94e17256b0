import type { Command, WithCtx } from './types.js';
import { ExitCodeError } from '../base/errors.js';

interface AttachArgs {
  container: string;
  detachKeys?: string;
  noStdin?: boolean;
  stdin?: boolean;
  sigProxy?: boolean;
}

export const attachCommand: Command = {
  command: 'attach <container>',
  describe: "Attach to a running container's output (and input, if it was started with -i)",
  builder: (y) =>
    y
      .positional('container', { type: 'string', describe: 'Container (name or id)' })
      .option('detach-keys', { type: 'string', describe: 'Key sequence to detach (default ctrl-p,ctrl-q)' })
      .option('stdin', { type: 'boolean', default: true, describe: 'Pass stdin to the container (--no-stdin: do not)' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Forward signals to the container (without -t)' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<AttachArgs>;
    const ctx = a.ctx;
    const { attachContainer } = await import('../core/container/attach.js');
    if (a.detachKeys !== undefined) (await import('../cli/terminal/detachkeys.js')).parseDetachKeys(a.detachKeys);
    const { rec, client } = await attachContainer(ctx, a.container);
    const fg = await import('../cli/terminal/foreground.js');
    const interactive = rec.config.interactive && a.stdin !== false;
    fg.wireOutput(client, rec.config.tty && interactive);
    if (rec.config.tty && process.stdout.isTTY) {
      // make the program redraw at our size
      const { CONTROL } = await import('../shim/protocol.js');
      client.send(CONTROL, JSON.stringify({ type: 'resize', cols: process.stdout.columns, rows: process.stdout.rows }));
    }
    const code = await fg.runForeground(ctx, rec.id, client, interactive, { tty: rec.config.tty, detachKeys: a.detachKeys, sigProxy: a.sigProxy });
    if (code !== 0) throw new ExitCodeError(code);
  },
};
