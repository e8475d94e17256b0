/** `version`: conman's version, Node's, and the platform, as text or JSON. */
import type { Command } from './types.js';
import { VERSION } from '../version.js';

export const versionCommand: Command = {
  command: 'version',
  describe: 'Show version information',
  builder: (y) => y.option('format', { alias: 'f', type: 'string', describe: 'json for JSON output' }),
  handler: (argv) => {
    const info = { Client: { Version: VERSION, APIVersion: VERSION, GoVersion: '', NodeVersion: process.version, OsArch: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}` } };
    if (argv.format === 'json') process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    else process.stdout.write(`Version:      ${VERSION}\nNode Version: ${process.version}\nOS/Arch:      ${info.Client.OsArch}\n`);
  },
};
