import type { Command, WithCtx } from './types.js';
import { ExitCodeError } from '../base/errors.js';

interface ExecArgs {
  container: string;
  command?: string[];
  '--'?: string[];
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  env?: string | string[];
  envFile?: string | string[];
  workdir?: string;
  user?: string;
}

const arr = (v: string | string[] | undefined) => (v === undefined ? undefined : ([] as string[]).concat(v).map(String));

export const execCommand: Command = {
  command: 'exec <container> [command..]',
  describe: 'Run a process in a running container',
  builder: (y) =>
    y
      .positional('container', { type: 'string', describe: 'Container (name or id)' })
      .positional('command', { type: 'string', array: true, describe: 'Command and arguments' })
      .option('interactive', { alias: 'i', type: 'boolean', describe: 'Pass stdin to the process' })
      .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-terminal' })
      .option('detach', { alias: 'd', type: 'boolean', describe: 'Run the process in the background' })
      .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables (KEY=VALUE or KEY)' })
      .option('env-file', { type: 'string', describe: 'Read environment variables from a file' })
      .option('workdir', { alias: 'w', type: 'string', describe: 'Working directory of the process' })
      .option('user', { alias: 'u', type: 'string', describe: 'User[:group] to run as' })
      .option('detach-keys', { type: 'string', describe: 'Accepted for podman compatibility (the terminal is runc\'s)' }),
  handler: async (argv) => {
    const a = argv as unknown as WithCtx<ExecArgs>;
    const { execInContainer } = await import('../core/container/exec.js');
    const cmd = [...(a.command ?? []), ...(a['--'] ?? [])].map(String);
    const keys = (a as unknown as { detachKeys?: string }).detachKeys;
    if (keys !== undefined) (await import('../cli/terminal/detachkeys.js')).parseDetachKeys(String(keys)); // refused like podman's
    const code = await execInContainer(a.ctx, a.container, cmd, {
      interactive: a.interactive,
      tty: a.tty,
      detach: a.detach,
      env: arr(a.env),
      envFile: arr(a.envFile),
      workdir: a.workdir,
      user: a.user,
    });
    if (code !== 0) throw new ExitCodeError(code);
  },
};
