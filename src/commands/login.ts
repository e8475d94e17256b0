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
    const { loadRegistriesConf, isLocalRegistry, registryEntry } = await import('../core/image/registries-conf.js');
    const conf = await loadRegistriesConf();
    let registry = (argv.registry as string | undefined) ?? conf.unqualifiedSearch[0];
    if (!registry) throw new ConmanError('EUSAGE', 'login needs a registry');
    registry = registry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
    const authfile = argv.authfile as string | undefined;
    if (argv.getLogin) {
      const c = auth.lookupCreds(registry, undefined, authfile);
      if (!c) throw new ConmanError('EAUTH', `not logged into ${registry}`);
      process.stdout.write(`${c.username}\n`);
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
    const { RegistryClient } = await import('../core/image/registry.js');
    const insecure = registryEntry(conf, registry)?.insecure || isLocalRegistry(registry) || argv.tlsVerify === false;
    const client = new RegistryClient(registry, '', {
      what: `login ${registry}`,
      creds: { username, password },
      insecure,
      tlsVerify: argv.tlsVerify as boolean | undefined,
    });
    try {
      await client.checkLogin();
    } finally {
      await client.close();
    }
    auth.storeCreds(registry, { username, password }, authfile);
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
    const { ConmanError } = await import('../base/errors.js');
    const auth = await import('../core/image/auth.js');
    const authfile = argv.authfile as string | undefined;
    if (argv.all) {
      auth.removeAllCreds(authfile);
      process.stdout.write('Removed login credentials for all registries\n');
      return;
    }
    const { loadRegistriesConf } = await import('../core/image/registries-conf.js');
    let registry = (argv.registry as string | undefined) ?? (await loadRegistriesConf()).unqualifiedSearch[0];
    if (!registry) throw new ConmanError('EUSAGE', 'logout needs a registry or --all');
    registry = registry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!auth.removeCreds(registry, authfile)) throw new ConmanError('EAUTH', `not logged into ${registry}`);
    process.stdout.write(`Removed login credentials for ${registry}\n`);
  },
};
