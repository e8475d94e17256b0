/** `network rm`: removes networks (with -f, the containers using them first), podman's exit codes. */
import type { Command, WithCtx } from './types.js';

export const networkRmCommand: Command = {
  command: 'rm <network..>',
  aliases: ['remove'],
  describe: 'Remove networks',
  builder: (y) =>
    y
      .positional('network', { type: 'string', array: true, describe: 'Network names' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Remove the containers using the network too' })
      .option('time', { alias: 't', type: 'number', describe: 'Seconds to wait before killing those containers' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ network: string[]; force?: boolean; time?: number }>;
    const { removeNetworks } = await import('../core/network/manage.js');
    const { ConmanError, ExitCodeError, describeError } = await import('../base/errors.js');
    // the network core sits below the container lifecycle: -f hands it the way to remove a container
    const removeContainer = async (id: string) => {
      const { removeContainer } = await import('../core/container/remove.js');
      await removeContainer(a.ctx, id, { force: true, time: a.time });
    };
    // podman's codes: 1 no such network, 2 in use; the last failure's code wins
    let failed = 0;
    const codeOf = (e: unknown) => (e instanceof ConmanError ? (e.code === 'ENOSUCHNET' ? 1 : e.exitCode) : 125);
    for await (const r of removeNetworks(a.ctx, a.network, { force: a.force, removeContainer })) {
      if (r.ok) {
        process.stdout.write(`${r.name}\n`);
        continue;
      }
      const e = r.error;
      failed = codeOf(e);
      process.stderr.write(`conman: ${describeError(e)}\n`);
      if (e instanceof ConmanError && e.hint && a.network.length === 1) process.stderr.write(`  hint: ${e.hint}\n`);
    }
    if (failed) throw new ExitCodeError(failed);
  },
};
