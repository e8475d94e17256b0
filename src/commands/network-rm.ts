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
    const cfg = await import('../core/network/config.js');
    const { networkUsers } = await import('../core/network/usage.js');
    const { cleanupStaleNetworks } = await import('../core/network/index.js');
    const { ConmanError, ExitCodeError, describeError } = await import('../base/errors.js');
    await cleanupStaleNetworks(a.ctx);
    // podman's codes: 1 no such network, 2 in use; the last failure's code wins
    let failed = 0;
    const codeOf = (e: unknown) => (e instanceof ConmanError ? (e.code === 'ENOSUCHNET' ? 1 : e.exitCode) : 125);
    for (const name of a.network) {
      try {
        const { info } = await cfg.getNetwork(a.ctx, name);
        if (info.name === cfg.DEFAULT_NETWORK) throw new ConmanError('EINVAL', `the default network ${info.name} cannot be removed`);
        const users = networkUsers(a.ctx, info.name);
        if (users.length && !a.force) {
          const { readContainer } = await import('../storage/containers.js');
          const names = users.map((id) => readContainer(a.ctx, id)?.name ?? id.slice(0, 12));
          throw new ConmanError('EINVAL', `network ${info.name} is in use by container(s) ${names.join(', ')}`, {
            hint: `remove them first, or use conman network rm -f ${info.name}`,
            exitCode: 2,
          });
        }
        if (users.length) {
          const lc = await import('../core/container/lifecycle.js');
          for (const id of users) await lc.removeContainer(a.ctx, id, { force: true, time: a.time });
        }
        await cfg.removeNetworkConfig(a.ctx, info.name);
        process.stdout.write(`${info.name}\n`);
      } catch (e) {
        failed = codeOf(e);
        process.stderr.write(`conman: ${describeError(e)}\n`);
        if (e instanceof ConmanError && e.hint && a.network.length === 1) process.stderr.write(`  hint: ${e.hint}\n`);
      }
    }
    if (failed) throw new ExitCodeError(failed);
  },
};
