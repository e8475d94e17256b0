import { group, type Command } from './types.js';

/** Top-level image commands (pull, images, rmi, tag, login, logout, load, save). */
export const imageCommands: Command[] = [];
/** `conman image <sub>`: ls, rm, pull, inspect, prune, tag, ... */
export const imageGroup: Command = group('image', 'Manage images', []);
