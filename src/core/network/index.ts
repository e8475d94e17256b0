/**
 * Container networking, the API the container lifecycle uses:
 *   setupNetwork(ctx, req)        before the container starts: netns + CNI ADD + /etc files
 *   teardownNetwork(ctx, id)      when it has exited (the shim's cleanup, or rm): CNI DEL, netns gone; idempotent
 *   cleanupStaleNetworks(ctx)     reconciliation: tears down what a crashed CLI or shim left behind
 *   networkState(ctx, id)         what a running container got (ips, ports) for `port`, inspect, ps
 * They live in setup.ts, teardown.ts, stale.ts and state.ts; this module gathers them.
 *
 * Volatile layout (runroot):
 *   <runroot>/networks/ctr/<id>/state.json   what setup did (conflist snapshot, plugins run, CNI result, ports)
 *   <runroot>/networks/ctr/<id>/netns        the container's network namespace (nsfs bind mount)
 *   <runroot>/networks/ctr/<id>.lock         per-container lock (setup/teardown)
 *   <runroot>/networks/locks/<net>.lock      per-network lock (CNI ADD/DEL, peers' hosts files)
 *   <runroot>/networks/ipam/<net>/           host-local leases (the default network's: see config.ts)
 *   <runroot>/networks/up/<net>               the network's bridge and rules were checked since boot
 * The hosts, resolv.conf and hostname files go to the container directory (or req.filesDir).
 */
export { setupNetwork, type NetworkRequest, type NetworkSetup } from './setup.js';
export { teardownNetwork } from './teardown.js';
export { cleanupStaleNetworks } from './stale.js';
export { networkState, allNetworkStates, networkMembers, netnsFile, publishedPorts, type NetState } from './state.js';
export type { PortMapping } from './ports.js';
export { parsePublish, publishAll, formatMapping } from './ports.js';
export { parseAddHost } from './files.js';
