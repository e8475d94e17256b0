/** `port`: a container's (or every container's) published ports. */
import type { Command, WithCtx } from './types.js';
import type { PortMapping } from '../core/network/index.js';

export const portCommand: Command = {
  command: 'port [container] [port]',
  describe: "List a container's published ports",
  builder: (y) =>
    y
      .positional('container', { type: 'string', describe: 'Container name or id' })
      .positional('port', { type: 'string', describe: 'Only this container port (PORT[/PROTO])' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'All running containers' })
      .option('latest', { alias: 'l', type: 'boolean', hidden: true }),
  handler: async (argv: unknown) => {
    const a = argv as WithCtx<{ container?: string; port?: string; all?: boolean }>;
    const { ConmanError } = await import('../base/errors.js');
    const net = await import('../core/network/index.js');
    const { resolveContainer } = await import('../core/container/record.js');
    if (!a.all && !a.container) throw new ConmanError('EUSAGE', 'conman port needs a container, or --all');
    if (a.all && a.container && !a.port) {
      a.port = a.container;
      a.container = undefined;
    }
    const fmt = (m: PortMapping) => `${m.hostIP || '0.0.0.0'}:${m.hostPort}`;
    // one container, or every one with a network set up
    const list = net.publishedPorts(a.ctx, a.container ? [resolveContainer(a.ctx, a.container).id] : undefined);
    let out = '';
    if (a.port) {
      const [p, proto = 'tcp'] = a.port.split('/');
      for (const { ports } of list) {
        const ms = ports.filter((m) => String(m.containerPort) === p && m.protocol === proto);
        if (!ms.length && a.container) throw new ConmanError('EINVAL', `failed to find published port "${a.port}"`);
        out += ms.map((m) => fmt(m) + '\n').join('');
      }
    } else {
      for (const { id, ports } of list) {
        // with --all, podman prefixes every line with the container's short id (what awk/cut scripts expect)
        const prefix = a.all ? `${id.slice(0, 12)}\t` : '';
        out += ports.map((m) => `${prefix}${net.formatMapping(m)}\n`).join('');
      }
    }
    process.stdout.write(out);
  },
};
