/** `container exists` and `image exists`: exit 0 if it is there, 1 if not (podman's scripting idiom). */
import type { Command, WithCtx } from './types.js';

export const containerExistsCommand: Command = {
  command: 'exists <container>',
  describe: 'Exit 0 if the container exists, 1 if not',
  builder: (y) => y.positional('container', { type: 'string', describe: 'Container name or id' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ container: string }>;
    const { ConmanError, ExitCodeError } = await import('../base/errors.js');
    const { resolveContainer } = await import('../core/container/record.js');
    try {
      resolveContainer(a.ctx, String(a.container));
    } catch (e) {
      if (e instanceof ConmanError && e.code === 'ENOSUCHCTR') throw new ExitCodeError(1);
      if (e instanceof ConmanError && e.code === 'ESTATE') return; // it is there, if damaged
      throw e;
    }
  },
};

export const imageExistsCommand: Command = {
  command: 'exists <image>',
  describe: 'Exit 0 if the image is in local storage, 1 if not',
  builder: (y) => y.positional('image', { type: 'string', describe: 'Image name, id or digest' }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ image: string }>;
    const { ExitCodeError } = await import('../base/errors.js');
    const { findImage } = await import('../core/image/store.js');
    if (!(await findImage(a.ctx, String(a.image)))) throw new ExitCodeError(1);
  },
};
