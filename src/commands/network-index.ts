/** The network commands: `conman network <sub>` and the top-level `port`. */
import { group, type Command } from './types.js';
import { networkCreateCommand } from './network-create.js';
import { networkLsCommand } from './network-ls.js';
import { networkInspectCommand } from './network-inspect.js';
import { networkRmCommand } from './network-rm.js';
import { networkPruneCommand } from './network-prune.js';
import { networkExistsCommand } from './network-exists.js';
import { portCommand } from './port.js';

/** Top-level network-related commands (port). */
export const networkTopLevel: Command[] = [portCommand];
/** `conman network <sub>`: create, ls, inspect, rm, prune, exists. */
export const networkGroup: Command = group('network', 'Manage networks', [
  networkCreateCommand,
  networkLsCommand,
  networkInspectCommand,
  networkRmCommand,
  networkPruneCommand,
  networkExistsCommand,
]);
