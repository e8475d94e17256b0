/** The container commands, at top level and under `conman container`. */
import { group, type Command } from './types.js';
import { runCommand } from './run.js';
import { createCommand } from './create.js';
import { startCommand } from './start.js';
import { stopCommand } from './stop.js';
import { killCommand } from './kill.js';
import { rmCommand } from './rm.js';
import { restartCommand } from './restart.js';
import { waitCommand } from './wait.js';
import { psCommand, psCommandNamed } from './ps.js';
import { inspectCommand, inspectCommandNamed } from './inspect.js';
import { logsCommand } from './logs.js';
import { containerPruneCommand } from './container-prune.js';
import { execCommand } from './exec.js';
import { attachCommand } from './attach.js';
import { containerExistsCommand } from './exists.js';

const common = [runCommand, createCommand, startCommand, stopCommand, killCommand, rmCommand, restartCommand, waitCommand, inspectCommand, logsCommand, execCommand, attachCommand];

/** Top-level container commands (run, create, start, ps, ...). */
export const containerCommands: Command[] = [...common, psCommand];
/** `conman container <sub>`: the same modules plus ls, prune, ... */
export const containerGroup: Command = group('container', 'Manage containers', [
  ...common.map((c) => (c === inspectCommand ? inspectCommandNamed('inspect [names..]', 'container') : c)),
  psCommandNamed('ls', ['list', 'ps']),
  containerPruneCommand,
  containerExistsCommand,
]);
