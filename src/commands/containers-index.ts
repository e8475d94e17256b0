import { group, type Command } from './types.js';

/** Top-level container commands (run, create, start, ps, ...). */
export const containerCommands: Command[] = [];
/** `conman container <sub>`: the same modules plus ls, prune, ... */
export const containerGroup: Command = group('container', 'Manage containers', []);
