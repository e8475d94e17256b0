/** Shared output helpers of the network commands: podman's JSON shape and a small Go-template subset. */
import type { NetworkInfo } from '../core/network/config.js';

export function networkJson(n: NetworkInfo): Record<string, unknown> {
  return {
    name: n.name,
    id: n.id,
    driver: 'bridge',
    network_interface: n.bridge,
    created: n.created,
    subnets: [{ subnet: n.subnet, gateway: n.gateway }],
    ipv6_enabled: false,
    internal: n.internal,
    dns_enabled: false,
    labels: n.labels,
    ipam_options: { driver: 'host-local' },
  };
}

/** The field names podman's templates use. */
function templateView(n: NetworkInfo): Record<string, unknown> {
  return {
    Name: n.name,
    ID: n.id.slice(0, 12),
    Id: n.id,
    Driver: 'bridge',
    NetworkInterface: n.bridge,
    Created: n.created,
    Subnets: [{ Subnet: n.subnet, Gateway: n.gateway }],
    Subnet: n.subnet,
    Gateway: n.gateway,
    Internal: n.internal,
    IPv6Enabled: false,
    DNSEnabled: false,
    Labels: n.labels,
  };
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('Subnet' in o) return `{${o.Subnet} ${o.Gateway}}`;
    return `map[${Object.entries(o).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** Renders `{{.Field}}`, `{{.A.B}}`, `{{json .Field}}`, `{{range .Subnets}}{{.Subnet}}{{end}}`, \t and \n. */
export function renderTemplate(tpl: string, n: NetworkInfo): string {
  const view = templateView(n);
  const get = (obj: unknown, p: string): unknown =>
    p === '.' ? obj : p.replace(/^\./, '').split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
  let out = tpl.replace(/\{\{\s*range\s+(\.[\w.]*)\s*\}\}([\s\S]*?)\{\{\s*end\s*\}\}/g, (_m, p: string, body: string) => {
    const arr = get(view, p);
    return Array.isArray(arr) ? arr.map((item) => body.replace(/\{\{\s*(\.[\w.]*)\s*\}\}/g, (_x, q: string) => show(get(item, q)))).join('') : '';
  });
  out = out.replace(/\{\{\s*(json\s+)?(\.[\w.]*)\s*\}\}/g, (_m, json: string | undefined, p: string) => {
    const v = get(view, p);
    return json ? JSON.stringify(v) : show(v);
  });
  return out.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}
