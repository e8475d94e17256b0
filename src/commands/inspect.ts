import type { Command, WithCtx } from './types.js';
import { ConmanError, ExitCodeError } from '../core/errors.js';

export function inspectCommandNamed(command: string): Command {
  return {
    command,
    describe: 'Display the configuration and state of containers (JSON array)',
    builder: (y) =>
      y
        .positional('names', { type: 'string', array: true })
        .option('format', { alias: 'f', type: 'string', describe: 'Go template, e.g. {{.State.Status}}' })
        .option('type', { alias: 't', type: 'string', describe: 'container (only containers are inspected here)' })
        .option('latest', { alias: 'l', type: 'boolean', describe: 'Inspect the latest created container' }),
    handler: async (argv) => {
    const a = argv as unknown as WithCtx<{ names?: string[]; format?: string; latest?: boolean }>;
      const ctx = a.ctx;
      const { resolveContainer } = await import('../core/containers.js');
      const { inspectJson, listContainers } = await import('../core/ps.js');
      const { liveState, rebootPending } = await import('../core/reconcile.js');
      if (rebootPending(ctx)) await (await import('../core/lifecycle.js')).reconcileAfterReboot(ctx);
      const out: Record<string, unknown>[] = [];
      let failed: ConmanError | undefined;
      const names = a.names ?? [];
      if (a.latest) {
        const l = (await listContainers(ctx))[0];
        if (l) out.push(inspectJson(ctx, l));
      }
      if (!names.length && !a.latest) throw new ConmanError('EUSAGE', 'inspect needs at least one container name or id');
      for (const n of names) {
        try {
          const rec = resolveContainer(ctx, n);
          out.push(inspectJson(ctx, { ...rec, state: liveState(ctx, rec) }));
        } catch (e) {
          if (!(e instanceof ConmanError)) throw e;
          failed = e;
          process.stderr.write(`conman: ${e.message}\n`);
        }
      }
      if (a.format && a.format !== 'json') {
        const { render } = await import('../core/format.js');
        process.stdout.write(out.map((o) => render(a.format!, o) + '\n').join(''));
      } else process.stdout.write(JSON.stringify(out, null, 4) + '\n');
      if (failed) throw new ExitCodeError(failed.exitCode);
    },
  };
}

export const inspectCommand = inspectCommandNamed('inspect [names..]');
