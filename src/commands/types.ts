/** The yargs command module type every command uses, and `group` for the parent commands. */
import type { Argv, ArgumentsCamelCase, CommandModule } from 'yargs';
import type { Context } from '../base/context.js';

/** Every handler gets the Context built from the global flags as argv.ctx. */
export type WithCtx<T> = ArgumentsCamelCase<T> & { ctx: Context };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Command = CommandModule<any, any>;
export type { Argv };

/** A parent command (`container`, `image`, `network`) grouping subcommands that also exist at top level. */
export function group(name: string, describe: string, subs: Command[], aliases: string[] = []): Command {
  return {
    command: `${name} <command>`,
    aliases,
    describe,
    builder: (y: Argv) => {
      for (const s of subs) y.command(s);
      return y.demandCommand(1, `conman ${name} needs a subcommand`);
    },
    handler: () => {},
  };
}
