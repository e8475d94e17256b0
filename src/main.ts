/**
 * conman's entry point: parse with yargs, run one command, map errors to exit codes in one place.
 * Command modules live in src/commands (one per command) and import src/core lazily in their handlers,
 * so `conman --help` or `conman ps` never load what `pull` or `run -t` need.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { commands } from './commands/index.js';
import { splitRunArgv } from './commands/run-argv.js';
import { commandWord, prespawnFor } from './commands/prespawn.js';
import type { Command } from './commands/types.js';
import { ConmanError, ExitCodeError, EXIT_ERROR } from './base/errors.js';
import { makeContext, type Context } from './base/context.js';
import { VERSION } from './version.js';

/** dist/conman.js lives in <install>/dist; the native addon and the shim are found from there. */
const installDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let debugOn = false;

function report(e: unknown): number {
  if (e instanceof ExitCodeError) return e.exitCode;
  if (e instanceof ConmanError) {
    process.stderr.write(`conman: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    if (debugOn && e.cause instanceof Error && e.cause.stack) process.stderr.write(`${e.cause.stack}\n`);
    return e.exitCode;
  }
  const err = e as Error;
  process.stderr.write(`conman: internal error: ${err?.message ?? String(e)}\n`);
  if (debugOn && err?.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('  (run with --log-level debug for the stack; this is a bug in conman)\n');
  return EXIT_ERROR;
}

/**
 * The commands to register with yargs: only the one the first word names, when it names one. yargs spends
 * ~0.1 ms per registered command (~45 of them, groups included) on every call. Help, completion, no word or an
 * unknown one (for "did you mean"): all of them.
 */
function commandsFor(argv: string[]): Command[] {
  const [w] = commandWord(argv);
  if (!w || argv.some((a) => a === '--help' || a === '-h' || a === '--get-yargs-completions')) return commands;
  const names = (c: Command) => [
    ...[c.command ?? []].flat().map((s) => String(s).split(' ')[0]),
    ...[c.aliases ?? []].flat().map(String),
  ];
  const hit = commands.filter((c) => names(c).includes(w));
  return hit.length ? hit : commands;
}

/** yargs lists an unknown `--bogus-flag` twice (bogus-flag, bogusFlag): name it once. */
function dropCamelTwins(msg: string): string {
  const m = /^(Unknown arguments?): (.*)$/.exec(msg);
  if (!m) return msg;
  const names = m[2]!.split(', ');
  const kept = names.filter((n) => !(/[A-Z]/.test(n) && names.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))));
  return `${kept.length > 1 ? 'Unknown arguments' : 'Unknown argument'}: ${kept.join(', ')}`;
}

/**
 * A reader that went away (`conman inspect x | head -1`): end quietly, as a process killed by SIGPIPE would
 * (exit 141), instead of an unhandled 'error' event. Commands with their own handler (a foreground run)
 * decide for themselves.
 */
function quietOnClosedPipe(): void {
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (s.listenerCount('error') > 1) return;
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  debugOn = argv.includes('debug') || process.env.CONMAN_LOG_LEVEL === 'debug';
  prespawnFor(argv, installDir); // `run`: start the shim's node now, it overlaps our option parsing
  let ctx: Context | undefined;
  const y = yargs(splitRunArgv(argv))
    .scriptName('conman')
    .usage('conman [options] <command>\n\nA daemonless container manager.')
    .option('root', { type: 'string', describe: 'Persistent storage root (env CONMAN_ROOT)', global: true })
    .option('runroot', { type: 'string', describe: 'Volatile storage root (env CONMAN_RUNROOT)', global: true })
    .option('runtime', { type: 'string', describe: 'OCI runtime binary (default runc)', global: true })
    .option('log-level', {
      type: 'string',
      choices: ['error', 'warn', 'info', 'debug'],
      describe: 'How much conman says on stderr',
      global: true,
    })
    .middleware((a) => {
      ctx = makeContext(
        { root: a.root as string, runroot: a.runroot as string, runtime: a.runtime as string, logLevel: a.logLevel as string },
        installDir,
      );
      (a as Record<string, unknown>).ctx = ctx;
    })
    .version('version', 'Print conman\'s version', `conman version ${VERSION}`)
    .alias('version', 'v')
    .completion('completion', 'Print a bash/zsh completion script (source it from your shell rc)')
    .help('help')
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'conman needs a command; see conman --help')
    .recommendCommands()
    .parserConfiguration({ 'populate--': true, 'halt-at-non-option': false })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new ConmanError('EUSAGE', dropCamelTwins(msg));
    })
    .exitProcess(false);
  for (const c of commandsFor(argv)) y.command(c);
  // yargs renders the matched command's full help text before every handler runs, only to have it ready should
  // the handler fail with a usage error (ours throw ConmanErrors instead): ~10 ms of CPU on every command.
  // `--help` still renders it when asked.
  try {
    const usage = (y as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
      .getInternalMethods()
      .getUsageInstance();
    usage.cacheHelpMessage = () => {};
  } catch {
    /* another yargs: keep its behaviour */
  }
  try {
    await y.parseAsync();
  } catch (e) {
    process.exitCode = report(e);
  }
}
