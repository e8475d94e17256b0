/**
 * Networking core, driven directly (no container lifecycle): real netns files, real CNI plugins, real
 * iptables. Processes stand in for containers with `nsenter --net=<netns file>`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { udpAsk } from './lib/udp.js';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeContext, type Context } from '../src/base/context.js';
import { setupNetwork, teardownNetwork, cleanupStaleNetworks, parsePublish, networkState } from '../src/core/network/index.js';
import { createNetwork, removeNetworkConfig, listNetworks, DEFAULT_NETWORK } from '../src/core/network/config.js';
import { bridgePorts } from '../src/core/network/bridge.js';
import { freePort } from './lib/registry.js';
import { REPO } from './lib/conman.js';
import { testTmp } from './lib/tmp.js';
import { ipamDir } from '../src/storage/layout.js';

const PREFIX = `cmt${crypto.randomBytes(2).toString('hex')}`;
const children: ChildProcess[] = [];
const stores: Context[] = [];

function newCtx(): Context {
  const base = fs.mkdtempSync(path.join(testTmp(), 'net-'));
  const ctx = makeContext({ root: path.join(base, 'root'), runroot: path.join(base, 'run') }, REPO);
  stores.push(ctx);
  return ctx;
}

const newId = () => crypto.randomBytes(32).toString('hex');
let nameSeq = 0;
const uniq = (what: string) => `${PREFIX}${what}${nameSeq++}`;

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const ctx of stores) {
    for (const id of fs.existsSync(path.join(ctx.runroot, 'networks', 'ctr')) ? fs.readdirSync(path.join(ctx.runroot, 'networks', 'ctr')) : []) {
      if (!id.endsWith('.lock')) await teardownNetwork(ctx, id).catch(() => {});
    }
    for (const n of listNetworks(ctx)) if (n.name !== 'conman') await removeNetworkConfig(ctx, n.name).catch(() => {});
  }
});

/** Runs a command inside a netns file. */
function inNs(netns: string, args: string[], timeout = 10_000) {
  return spawnSync('nsenter', [`--net=${netns}`, ...args], { timeout, encoding: 'utf8' });
}

/** Starts a server inside a netns; resolves when it is listening. */
async function serveIn(netns: string, kind: 'tcp' | 'udp', port: number, reply: string): Promise<ChildProcess> {
  const code =
    kind === 'tcp'
      ? `require('net').createServer(s=>{s.end(${JSON.stringify(reply)})}).listen(${port},'0.0.0.0',()=>console.log('up'))`
      : `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(${JSON.stringify(reply)}+m,r.port,r.address));s.bind(${port},'0.0.0.0',()=>console.log('up'))`;
  const p = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(p);
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return p;
}

function tcpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    let out = '';
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

/** Everything a container's network may leave on the host, for one container id. */
function leaks(ctx: Context, id: string, netName: string, bridge: string): string[] {
  const found: string[] = [];
  if (fs.existsSync(path.join(ctx.runroot, 'networks', 'ctr', id))) found.push('state dir');
  const ipam = path.join(ipamDir(ctx, netName === DEFAULT_NETWORK), netName);
  if (fs.existsSync(ipam)) {
    for (const f of fs.readdirSync(ipam)) {
      if (/^\d/.test(f) && fs.readFileSync(path.join(ipam, f), 'utf8').includes(id)) found.push(`lease ${f}`);
    }
  }
  const rules = execFileSync('iptables-save', { encoding: 'utf8' });
  if (rules.includes(id)) found.push('iptables rule');
  if (bridgePorts(bridge).length) found.push(`veths on ${bridge}: ${bridgePorts(bridge).join(',')}`);
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  if (mounts.includes(id)) found.push('netns mount');
  return found;
}

test('published TCP and UDP ports are reachable from 127.0.0.1, and nothing is left after teardown', async () => {
  const ctx = newCtx();
  const netw = await createNetwork(ctx, uniq('pub'), { bridge: uniq('b') });
  const [tport, uport] = [await freePort(), await freePort()];
  const id = newId();
  const s = await setupNetwork(ctx, {
    id,
    name: 'web',
    network: netw.name,
    ports: [...parsePublish(`127.0.0.1:${tport}:80`), ...parsePublish(`127.0.0.1:${uport}:53/udp`)],
  });
  assert.ok(s.netnsPath && fs.existsSync(s.netnsPath));
  assert.equal(s.ips.length, 1);
  assert.ok(s.ips[0]!.startsWith(netw.subnet.split('.').slice(0, 3).join('.')), `${s.ips[0]} in ${netw.subnet}`);
  await serveIn(s.netnsPath!, 'tcp', 80, 'hello-tcp');
  await serveIn(s.netnsPath!, 'udp', 53, 'echo:');
  assert.equal(await tcpGet('127.0.0.1', tport), 'hello-tcp');
  assert.equal(await udpAsk('127.0.0.1', uport, 'ping'), 'echo:ping');
  assert.match(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), new RegExp(id));
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await teardownNetwork(ctx, id);
  await teardownNetwork(ctx, id); // idempotent
  assert.deepEqual(leaks(ctx, id, netw.name, netw.bridge), []);
  assert.equal(fs.existsSync(s.netnsPath!), false);
  await assert.rejects(tcpGet('127.0.0.1', tport));
  await removeNetworkConfig(ctx, netw.name);
  assert.equal(fs.existsSync(`/sys/class/net/${netw.bridge}`), false, 'bridge removed with its network');
  assert.doesNotMatch(execFileSync('iptables-save', { encoding: 'utf8' }), new RegExp(`\\b${netw.bridge}\\b`));
});

test('containers on one network reach each other and see each other in /etc/hosts; none gets only files', async () => {
  const ctx = newCtx();
  const netw = await createNetwork(ctx, uniq('app'), { bridge: uniq('b') });
  const [a, b] = [newId(), newId()];
  const sa = await setupNetwork(ctx, { id: a, name: 'db', network: netw.name, aliases: ['database'] });
  const sb = await setupNetwork(ctx, { id: b, name: 'client', network: netw.name, addHosts: ['extra.example:10.1.2.3'], dns: ['10.9.9.9'] });
  await serveIn(sa.netnsPath!, 'tcp', 80, 'from-db');
  const r = inNs(sb.netnsPath!, ['busybox', 'nc', sa.ips[0]!, '80']);
  assert.equal(r.stdout, 'from-db', r.stderr);
  const hostsB = fs.readFileSync(sb.files.hosts, 'utf8');
  assert.match(hostsB, new RegExp(`^${sa.ips[0]!.replace(/\./g, '\\.')}\\s.*\\bdb\\b.*\\bdatabase\\b`, 'm'));
  assert.match(hostsB, /^10\.1\.2\.3\s+extra\.example$/m);
  assert.match(hostsB, new RegExp(`^${sb.ips[0]!.replace(/\./g, '\\.')}\\s.*\\bclient\\b`, 'm'));
  // the earlier container learns about the later one (its file rewritten in place)
  assert.match(fs.readFileSync(sa.files.hosts, 'utf8'), new RegExp(`^${sb.ips[0]!.replace(/\./g, '\\.')}\\s.*\\bclient\\b`, 'm'));
  assert.equal(fs.readFileSync(sb.files.resolv, 'utf8').trim(), 'nameserver 10.9.9.9');
  assert.equal(fs.readFileSync(sb.files.hostname, 'utf8'), `${b.slice(0, 12)}\n`);

  const n = newId();
  const sn = await setupNetwork(ctx, { id: n, name: 'lonely', network: 'none' });
  assert.equal(sn.netnsPath, undefined, 'none: runc makes a fresh namespace');
  assert.match(fs.readFileSync(sn.files.hosts, 'utf8'), /^127\.0\.1\.1\s+\S+ lonely$/m);

  for (const c of children.splice(0)) c.kill('SIGKILL');
  await teardownNetwork(ctx, b);
  assert.doesNotMatch(fs.readFileSync(sa.files.hosts, 'utf8'), /\bclient\b/, 'a leaving peer is dropped from hosts files');
  await teardownNetwork(ctx, a);
  assert.deepEqual(leaks(ctx, a, netw.name, netw.bridge), []);
  assert.deepEqual(leaks(ctx, b, netw.name, netw.bridge), []);
  await removeNetworkConfig(ctx, netw.name);
});

test('two networks are isolated from each other', async () => {
  const ctx = newCtx();
  const n1 = await createNetwork(ctx, uniq('iso'), { bridge: uniq('b') });
  const n2 = await createNetwork(ctx, uniq('iso'), { bridge: uniq('b') });
  const [a, b, c] = [newId(), newId(), newId()];
  const sa = await setupNetwork(ctx, { id: a, name: 'a', network: n1.name });
  const sb = await setupNetwork(ctx, { id: b, name: 'b', network: n2.name });
  const sc = await setupNetwork(ctx, { id: c, name: 'c', network: n1.name });
  await serveIn(sb.netnsPath!, 'tcp', 80, 'from-b');
  await serveIn(sc.netnsPath!, 'tcp', 80, 'from-c');
  // same network: reachable (the control); other network: not
  assert.equal(inNs(sa.netnsPath!, ['busybox', 'nc', '-w', '2', sc.ips[0]!, '80']).stdout, 'from-c');
  const r = inNs(sa.netnsPath!, ['busybox', 'nc', '-w', '2', sb.ips[0]!, '80']);
  assert.notEqual(r.stdout, 'from-b', 'a container on another network must not be reachable');
  // and the gateway of its own network still answers (the host side works)
  assert.equal(inNs(sa.netnsPath!, ['busybox', 'ping', '-c', '1', '-W', '2', n1.gateway]).status, 0);
  for (const ch of children.splice(0)) ch.kill('SIGKILL');
  for (const id of [a, b, c]) await teardownNetwork(ctx, id);
  await removeNetworkConfig(ctx, n1.name);
  await removeNetworkConfig(ctx, n2.name);
});

test('IP addresses are released and reused; --ip picks a fixed address', async () => {
  const ctx = newCtx();
  // a /29 has 5 container addresses: cycling through more than that needs released ones to be reused
  let netw;
  for (let i = 0; !netw; i++) {
    const third = 100 + crypto.randomInt(100);
    const fourth = crypto.randomInt(32) * 8;
    try {
      netw = await createNetwork(ctx, uniq('reuse'), { bridge: uniq('b'), subnet: `10.${third}.${i}.${fourth}/29` });
    } catch (e) {
      if (i > 20) throw e;
    }
  }
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const id = newId();
    const s = await setupNetwork(ctx, { id, name: `r${i}`, network: netw.name });
    seen.add(s.ips[0]!);
    await teardownNetwork(ctx, id);
    assert.deepEqual(leaks(ctx, id, netw.name, netw.bridge), []);
  }
  assert.ok(seen.size <= 5, `addresses came from the /29: ${[...seen]}`);
  const base = netw.subnet.split('/')[0]!.split('.').map(Number);
  const fixed = `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 5}`;
  const id = newId();
  const s = await setupNetwork(ctx, { id, name: 'fixed', network: netw.name, ip: fixed });
  assert.deepEqual(s.ips, [fixed]);
  assert.match(inNs(s.netnsPath!, ['ip', '-4', '-o', 'addr', 'show', 'eth0']).stdout, new RegExp(`inet ${fixed.replace(/\./g, '\\.')}/29`));
  await assert.rejects(setupNetwork(ctx, { id: newId(), name: 'clash', network: netw.name, ip: fixed }), /not available|already|reserved/i);
  await assert.rejects(setupNetwork(ctx, { id: newId(), name: 'out', network: netw.name, ip: '192.168.250.9' }), /not in network/);
  await teardownNetwork(ctx, id);
  await removeNetworkConfig(ctx, netw.name);
});

test('a setup whose command was SIGKILLed before the container started is cleaned up by the next command', async () => {
  const ctx = newCtx();
  const netw = await createNetwork(ctx, uniq('crash'), { bridge: uniq('b') });
  const id = newId();
  const port = await freePort();
  const script = `
    import { makeContext } from ${JSON.stringify(path.join(REPO, 'src/base/context.ts'))};
    import { setupNetwork, parsePublish } from ${JSON.stringify(path.join(REPO, 'src/core/network/index.ts'))};
    const ctx = makeContext({ root: ${JSON.stringify(ctx.root)}, runroot: ${JSON.stringify(ctx.runroot)} }, ${JSON.stringify(REPO)});
    await setupNetwork(ctx, { id: ${JSON.stringify(id)}, name: 'crashy', network: ${JSON.stringify(netw.name)}, ports: parsePublish('127.0.0.1:${port}:80') });
    process.kill(process.pid, 'SIGKILL');`;
  const file = path.join(testTmp(), `${PREFIX}-crash.mts`);
  fs.writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.ok(networkState(ctx, id), 'the crashed setup left its state');
  assert.match(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), new RegExp(id));
  const cleaned = await cleanupStaleNetworks(ctx);
  assert.deepEqual(cleaned, [id]);
  assert.deepEqual(leaks(ctx, id, netw.name, netw.bridge), []);
  await removeNetworkConfig(ctx, netw.name);
});

test('a setup killed during CNI ADD (state written, no result yet) is undone without the result', async () => {
  const ctx = newCtx();
  const netw = await createNetwork(ctx, uniq('mid'), { bridge: uniq('b') });
  const id = newId();
  const port = await freePort();
  await setupNetwork(ctx, { id, name: 'mid', network: netw.name, ports: parsePublish(`127.0.0.1:${port}:80`) });
  // what the state looks like when the command died between ADD and recording its result
  const file = path.join(ctx.runroot, 'networks', 'ctr', id, 'state.json');
  const st = JSON.parse(fs.readFileSync(file, 'utf8'));
  Object.assign(st, { result: {}, ips: [], setupPid: 999999999 });
  fs.writeFileSync(file, JSON.stringify(st));
  assert.ok(leaks(ctx, id, netw.name, netw.bridge).length > 0, 'the setup is really there');
  assert.deepEqual(await cleanupStaleNetworks(ctx), [id]);
  assert.deepEqual(leaks(ctx, id, netw.name, netw.bridge), []);
  await removeNetworkConfig(ctx, netw.name);
});

test('a live container (a process in its netns) is not mistaken for a stale one', async () => {
  const ctx = newCtx();
  const netw = await createNetwork(ctx, uniq('live'), { bridge: uniq('b') });
  const id = newId();
  const s = await setupNetwork(ctx, { id, name: 'alive', network: netw.name });
  // pretend the setup came from a command that has exited since
  const st = JSON.parse(fs.readFileSync(path.join(ctx.runroot, 'networks', 'ctr', id, 'state.json'), 'utf8'));
  st.setupPid = 999999999;
  fs.writeFileSync(path.join(ctx.runroot, 'networks', 'ctr', id, 'state.json'), JSON.stringify(st));
  const p = spawn('nsenter', [`--net=${s.netnsPath}`, 'sleep', '30'], { stdio: 'ignore' });
  children.push(p);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await cleanupStaleNetworks(ctx), []);
  p.kill('SIGKILL');
  await new Promise((r) => p.once('exit', r));
  assert.deepEqual(await cleanupStaleNetworks(ctx), [id], 'once its process is gone it is stale');
  assert.deepEqual(leaks(ctx, id, netw.name, netw.bridge), []);
  await removeNetworkConfig(ctx, netw.name);
});

test('bad input: port in use, bad -p, unknown network, overlapping subnet; nothing half-made', async () => {
  const ctx = newCtx();
  const netw = await createNetwork(ctx, uniq('bad'), { bridge: uniq('b') });
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const busy = (srv.address() as net.AddressInfo).port;
  const id = newId();
  await assert.rejects(
    setupNetwork(ctx, { id, name: 'busy', network: netw.name, ports: parsePublish(`127.0.0.1:${busy}:80`) }),
    new RegExp(`port 127\\.0\\.0\\.1:${busy}/tcp is already in use`),
  );
  srv.close();
  assert.deepEqual(leaks(ctx, id, netw.name, netw.bridge), []);
  assert.equal(fs.existsSync(path.join(ctx.runroot, 'networks', 'ctr', id)), false);

  // two containers cannot publish the same host port (DNAT does not bind, so conman checks)
  const port = await freePort();
  const first = newId();
  await setupNetwork(ctx, { id: first, name: 'p1', network: netw.name, ports: parsePublish(`127.0.0.1:${port}:80`) });
  await assert.rejects(
    setupNetwork(ctx, { id: newId(), name: 'p2', network: netw.name, ports: parsePublish(`${port}:81`) }),
    /already published by another container/,
  );
  await teardownNetwork(ctx, first);

  for (const bad of ['80:', 'abc', '1.2.3:80:80', '70000:80', '80/sctp', '8080-8081:80', '127.0.0.1:x:80']) {
    assert.throws(() => parsePublish(bad), /-p/, bad);
  }
  assert.deepEqual(parsePublish('127.0.0.1::53/udp'), [{ hostIP: '127.0.0.1', hostPort: 0, containerPort: 53, protocol: 'udp' }]);
  assert.equal(parsePublish('8080-8082:80-82').length, 3);

  await assert.rejects(setupNetwork(ctx, { id: newId(), name: 'x', network: `${PREFIX}nonet` }), /no such network/);
  await assert.rejects(createNetwork(ctx, uniq('ovl'), { subnet: netw.subnet }), new RegExp(`overlaps network ${netw.name}`));
  const route = execFileSync('ip', ['-4', '-o', 'route', 'show', 'scope', 'link'], { encoding: 'utf8' }).split('\n')[0]!.split(' ')[0]!;
  await assert.rejects(createNetwork(ctx, uniq('ovl'), { subnet: route }), /overlaps/);
  await assert.rejects(createNetwork(ctx, 'bad name!'), /invalid/);
  await assert.rejects(createNetwork(ctx, netw.name), /already exists/);
  assert.equal(listNetworks(ctx).length, 1, 'failed creates leave no config');
  await removeNetworkConfig(ctx, netw.name);
});
