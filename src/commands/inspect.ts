/** `inspect` and `container inspect`: containers (else images, like podman) as JSON or through a Go template. */
import type { Command, WithCtx } from './types.js';
import { ConmanError, ExitCodeError } from '../base/errors.js';

/** defaultType: 'all' for `inspect` (a container, else an image, like podman), 'container' for `container inspect`. */
export function inspectCommandNamed(command: string, defaultType = 'all'): Command {
  return {
    command,
    describe: 'Display the configuration and state of containers (JSON array)',
    builder: (y) =>
      y
        .positional('names', { type: 'string', array: true })
        .option('format', { alias: 'f', type: 'string', describe: 'Go template, e.g. {{.State.Status}}' })
        .option('type', { alias: 't', type: 'string', describe: 'container, image or all (default: a container, else an image)' })
        .option('latest', { alias: 'l', type: 'boolean', describe: 'Inspect the latest created container' }),
    handler: async (argv) => {
      const a = argv as unknown as WithCtx<{ names?: string[]; format?: string; latest?: boolean; type?: string }>;
      const ctx = a.ctx;
      const { findInspected, listContainers } = await import('../core/container/query.js');
      const { reconcileAfterReboot } = await import('../core/container/state.js');
      const { inspectJson } = await import('../cli/views/container.js');
      await reconcileAfterReboot(ctx);
      const out: Record<string, unknown>[] = [];
      let failed: ConmanError | undefined;
      const names = a.names ?? [];
      if (a.latest) {
        const l = (await listContainers(ctx))[0];
        if (l) out.push(inspectJson(ctx, l));
      }
      if (!names.length && !a.latest) throw new ConmanError('EUSAGE', 'inspect needs at least one container name or id');
      const type = a.type ?? defaultType;
      if (type !== 'all' && type !== 'container' && type !== 'image') throw new ConmanError('EINVAL', `invalid --type "${type}": container, image or all`);
      for (const n of names) {
        try {
          const found = await findInspected(ctx, n, type);
          if ('container' in found) out.push(inspectJson(ctx, found.container));
          else {
            const { inspectImage } = await import('../core/image/ops.js');
            out.push(await inspectImage(ctx, found.image));
          }
        } catch (e) {
          if (!(e instanceof ConmanError)) throw e;
          failed = e;
          process.stderr.write(`conman: ${e.message}\n`);
        }
      }
      if (a.format && a.format !== 'json') {
        const { render } = await import('../cli/format/format.js');
        process.stdout.write(out.map((o) => render(a.format!, o) + '\n').join(''));
      } else process.stdout.write(JSON.stringify(out, null, 4) + '\n');
      if (failed) throw new ExitCodeError(failed.exitCode);
    },
  };
}

export const inspectCommand = inspectCommandNamed('inspect [names..]');
