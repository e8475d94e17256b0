import { group, type Command } from './types.js';

/** Top-level network-related commands (port). */
export const networkTopLevel: Command[] = [];
/** `conman network <sub>`: create, ls, inspect, rm, prune. */
export const networkGroup: Command = group('network', 'Manage networks', []);
