import type { Command } from './types.js';

export const rmiCommand: Command = {
  command: 'rmi [images..]',
  describe: 'Remove one or more images',
  builder: (y) =>
    y
      .positional('images', { type: 'string', array: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Remove even if containers use the image, and by id with several tags' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all images' })
      .option('ignore', { alias: 'i', type: 'boolean', describe: 'Ignore images that do not exist' }),
  handler: async (argv) => {
    const { ConmanError, ExitCodeError } = await import('../base/errors.js');
    const refs = ((argv.images as string[] | undefined) ?? []).map(String);
    if (!refs.length && !argv.all) throw new ConmanError('EUSAGE', 'rmi needs at least one image (or --all)');
    const { removeImages } = await import('../core/image/ops.js');
    const res = await removeImages(argv.ctx, refs, {
      force: !!argv.force,
      all: !!argv.all,
      // -f removes the containers that use an image it deletes
      evict: async (containers) => {
        const { removeContainer } = await import('../core/container/remove.js');
        for (const c of containers) {
          try {
            await removeContainer(argv.ctx, c, { force: true, time: 0 });
          } catch (e) {
            if (!(e instanceof ConmanError && e.code === 'ENOSUCHCTR')) throw e;
          }
        }
      },
    });
    for (const u of res.untagged) process.stdout.write(`Untagged: ${u}\n`);
    for (const d of res.deleted) process.stdout.write(`Deleted: ${d}\n`);
    let errs = res.errors;
    // like podman, -f also ignores images that are not there
    if (argv.ignore || argv.force) errs = errs.filter((e) => e.code !== 'ENOSUCHIMAGE');
    if (!errs.length) return;
    for (const e of errs.slice(0, -1)) process.stderr.write(`conman: ${e.message}\n`);
    const last = errs[errs.length - 1]!;
    // podman: 1 = no such image, 2 = image in use; the worst one wins
    const code = errs.some((e) => e.exitCode === 2) ? 2 : errs.some((e) => e.exitCode === 1) ? 1 : last.exitCode;
    process.stderr.write(`conman: ${last.message}\n`);
    if (last.hint) process.stderr.write(`  hint: ${last.hint}\n`);
    throw new ExitCodeError(code);
  },
};
