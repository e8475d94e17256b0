import type { Command } from './types.js';

export const loginCommand: Command = {
  command: 'login [registry]',
  describe: 'Log in to a registry (credentials are checked, then stored in the auth file)',
  builder: (y) =>
    y
      .positional('registry', { type: 'string' })
      .option('username', { alias: 'u', type: 'string', describe: 'Username' })
      .option('password', { alias: 'p', type: 'string', describe: 'Password' })
      .option('password-stdin', { type: 'boolean', describe: 'Read the password from stdin' })
      .option('authfile', { type: 'string', describe: 'Path of the authentication file' })
      .option('tls-verify', { type: 'boolean', describe: 'Require HTTPS and verify certificates (default true)' })
      .option('get-login', { type: 'boolean', describe: 'Print the username stored for the registry' }),
  handler: async (argv) => {
    const { ConmanError } = await import('../base/errors.js');
    const auth = await import('../core/image/auth.js');
    const registry = await auth.loginRegistry(argv.registry as string | undefined);
    const authfile = argv.authfile as string | undefined;
    if (argv.getLogin) {
      process.stdout.write(`${auth.loggedInUser(registry, authfile)}\n`);
      return;
    }
    const { readLine, readAll } = await import('../cli/prompt.js');
    let username = argv.username as string | undefined;
    let password = argv.password as string | undefined;
    if (argv.passwordStdin) {
      if (password) throw new ConmanError('EUSAGE', '--password and --password-stdin are mutually exclusive');
      if (!username) throw new ConmanError('EUSAGE', '--password-stdin needs --username');
      password = (await readAll()).replace(/\r?\n$/, '');
    }
    if (!username) username = (await readLine('Username: ')).trim();
    if (!username) throw new ConmanError('EUSAGE', 'login: username is empty');
    if (password === undefined) password = await readLine('Password: ', { silent: true });
    if (!password) throw new ConmanError('EUSAGE', 'login: password is empty');
    await auth.login(registry, { username, password }, { authfile, tlsVerify: argv.tlsVerify as boolean | undefined });
    process.stdout.write('Login Succeeded!\n');
  },
};

export const logoutCommand: Command = {
  command: 'logout [registry]',
  describe: 'Remove stored credentials for a registry',
  builder: (y) =>
    y
      .positional('registry', { type: 'string' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove credentials for all registries' })
      .option('authfile', { type: 'string', describe: 'Path of the authentication file' }),
  handler: async (argv) => {
    const auth = await import('../core/image/auth.js');
    const authfile = argv.authfile as string | undefined;
    if (argv.all) {
      auth.removeAllCreds(authfile);
      process.stdout.write('Removed login credentials for all registries\n');
      return;
    }
    const registry = await auth.logoutRegistry(argv.registry as string | undefined);
    auth.logout(registry, authfile);
    process.stdout.write(`Removed login credentials for ${registry}\n`);
  },
};
