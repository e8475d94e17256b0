import { group, type Command } from './types.js';
import { pullCommand } from './pull.js';
import { imagesCommand } from './images.js';
import { rmiCommand } from './rmi.js';
import { tagCommand } from './tag.js';
import { imageInspectCommand } from './image-inspect.js';
import { imagePruneCommand } from './image-prune.js';
import { loginCommand, logoutCommand } from './login.js';
import { loadCommand, saveCommand } from './load-save.js';
import { imageExistsCommand } from './exists.js';

/** Top-level image commands (pull, images, rmi, tag, login, logout, load, save). */
export const imageCommands: Command[] = [pullCommand, imagesCommand, rmiCommand, tagCommand, loginCommand, logoutCommand, loadCommand, saveCommand];
/** `conman image <sub>`: ls, rm, pull, inspect, prune, tag, ... */
export const imageGroup: Command = group('image', 'Manage images', [
  { ...imagesCommand, command: 'ls [image]', aliases: ['list'] },
  { ...rmiCommand, command: 'rm [images..]' },
  pullCommand,
  imageInspectCommand,
  imagePruneCommand,
  tagCommand,
  loadCommand,
  saveCommand,
  imageExistsCommand,
]);
