/** Shared output helpers of the network commands: podman's JSON shape and the field names of its templates. */
import type { NetworkInfo } from '../../core/network/config.js';
import { render } from './format.js';

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

/** Renders a podman-style Go template (src/core/format.ts) over the network's template view. */
export function renderTemplate(tpl: string, n: NetworkInfo): string {
  return render(tpl, templateView(n));
}
