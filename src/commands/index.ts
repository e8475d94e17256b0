/**
 * Every command, registered from explicit arrays (no directory scanning). Each area keeps its own list
 * so that parallel work touches different files; `container`, `image` and `network` group the same modules.
 */
import type { Command } from './types.js';
import { versionCommand } from './version.js';
import { imageCommands, imageGroup } from './images-index.js';
import { containerCommands, containerGroup } from './containers-index.js';
import { networkGroup, networkTopLevel } from './network-index.js';

export const commands: Command[] = [
  ...containerCommands,
  ...imageCommands,
  ...networkTopLevel,
  containerGroup,
  imageGroup,
  networkGroup,
  versionCommand,
];
