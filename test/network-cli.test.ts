/**
 * Networking end to end through the CLI: real containers (runc), real CNI plugins, real iptables.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { udpAsk } from './lib/udp.js';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { newStore, show, type Store } from './lib/conman.js';
import { buildImage, freePort, sharedRegistry } from './lib/registry.js';

const PREFIX = `cmt${crypto.randomBytes(2).toString('hex')}`;
const IMG = `${sharedRegistry()}/busybox:latest`;
const stores: Store[] = [];
const children: ChildProcess[] = [];
let seq = 0;
const uniq = (what: string) => `${PREFIX}${what}${seq++}`;

function store(): Store {
  const s = newStore('net');
  stores.push(s);
  return s;
}

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of stores) {
    const ids = s.run(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length) s.run(['rm', '-f', ...ids]);
    for (const n of s.run(['network', 'ls', '-q']).stdout.split('\n').filter((n) => n && n !== 'conman')) s.run(['network', 'rm', '-f', n]);
  }
});

function ok(s: Store, args: string[]): string {
  const r = s.run(args);
  assert.equal(r.code, 0, `conman ${args.join(' ')}: ${show(r)}`);
  return r.stdout.trim();
}

function httpGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitHttp(port: number, p: string): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await httpGet(port, p);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

const netnsOf = (s: Store, id: string) => path.join(s.runroot, 'networks', 'ctr', id, 'netns');

/** What a container's network could leave behind on the host. */
function leaks(s: Store, id: string, netName: string): string[] {
  const found: string[] = [];
  if (fs.existsSync(path.join(s.runroot, 'networks', 'ctr', id))) found.push('network state / netns file');
  const ipamBase = netName === 'conman' ? '/run/conman/networks/ipam' : path.join(s.runroot, 'networks', 'ipam');
  const dir = path.join(ipamBase, netName);
  if (fs.existsSync(dir)) {
    for (const f of fs.readdirSync(dir)) {
      if (/^\d/.test(f) && fs.readFileSync(path.join(dir, f), 'utf8').includes(id)) found.push(`IPAM lease ${f}`);
    }
  }
  if (execFileSync('iptables-save', { encoding: 'utf8' }).includes(id)) found.push('iptables rule');
  if (fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(id)) found.push('netns mount');
  return found;
}

function bridgeOf(s: Store, name: string): string {
  return ok(s, ['network', 'inspect', '--format', '{{.NetworkInterface}}', name]);
}

async function waitGone(s: Store, id: string, netName: string): Promise<string[]> {
  let l: string[] = [];
  for (let i = 0; i < 100; i++) {
    l = leaks(s, id, netName);
    if (!l.length) return l;
    await new Promise((r) => setTimeout(r, 100));
  }
  return l;
}

test('published ports (TCP and UDP) are reachable from 127.0.0.1; port lists them; rm -f leaves nothing', async () => {
  const s = store();
  const netName = uniq('pub');
  ok(s, ['network', 'create', netName]);
  const [tp, up] = [await freePort(), await freePort()];
  const id = ok(s, ['run', '-d', '--name', 'web', '--network', netName, '-p', `127.0.0.1:${tp}:80`, '-p', `127.0.0.1:${up}:53/udp`, IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  assert.equal(await waitHttp(tp, '/hostname'), `${id.slice(0, 12)}\n`);
  // UDP: a server inside the container's own network namespace answers through the published port
  const udp = spawn(
    'nsenter',
    [`--net=${netnsOf(s, id)}`, process.execPath, '-e', "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(53,()=>console.log('up'))"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(udp);
  await new Promise((r) => udp.stdout!.once('data', r));
  assert.equal(await udpAsk('127.0.0.1', up, 'hi'), 'echo:hi');
  udp.kill('SIGKILL');
  const ports = ok(s, ['port', 'web']).split('\n').sort();
  assert.deepEqual(ports, [`53/udp -> 127.0.0.1:${up}`, `80/tcp -> 127.0.0.1:${tp}`]);
  assert.equal(ok(s, ['port', 'web', '80']), `127.0.0.1:${tp}`);
  // --all: every line carries the container's short id, as with podman
  const webId = ok(s, ['inspect', '-f', '{{.Id}}', 'web']).slice(0, 12);
  assert.deepEqual(ok(s, ['port', '-a']).split('\n').sort(), [`${webId}\t53/udp -> 127.0.0.1:${up}`, `${webId}\t80/tcp -> 127.0.0.1:${tp}`]);
  assert.equal(ok(s, ['ps', '--format', '{{.Ports}}']), `127.0.0.1:${tp}->80/tcp, 127.0.0.1:${up}->53/udp`);
  const ns = JSON.parse(ok(s, ['inspect', '--format', '{{json .NetworkSettings}}', 'web']));
  assert.match(ns.Networks[netName].IPAddress, /^10\./);
  assert.deepEqual(ns.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(tp) }]);
  const bridge = bridgeOf(s, netName);
  ok(s, ['rm', '-f', 'web']);
  assert.deepEqual(leaks(s, id, netName), []);
  assert.deepEqual(fs.readdirSync(`/sys/class/net/${bridge}/brif`), [], 'no veth left on the bridge');
  await assert.rejects(httpGet(tp, '/hostname'));
  ok(s, ['network', 'rm', netName]);
});

test('the default network (conman0): -P publishes EXPOSEd ports on free host ports; run --rm gets an address', async () => {
  const s = store();
  const name = `${PREFIX.toLowerCase()}exp`;
  buildImage(sharedRegistry(), name, 'latest', { config: ['--config.exposedports', '80/tcp', '--config.cmd', 'sh'] });
  const id = ok(s, ['run', '-d', '-P', `${sharedRegistry()}/${name}:latest`, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  const line = ok(s, ['port', id]);
  const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(line);
  assert.ok(m, line);
  assert.equal(await waitHttp(Number(m[1]), '/hostname'), `${id.slice(0, 12)}\n`);
  const inspect = JSON.parse(ok(s, ['network', 'inspect', 'conman']))[0];
  assert.equal(inspect.network_interface, 'conman0');
  const r = s.run(['run', '--rm', IMG, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /inet 10\.89\.0\.\d+\/24/);
  ok(s, ['rm', '-f', id]);
  assert.deepEqual(await waitGone(s, id, 'conman'), []);
});

test('containers on a user network reach each other by name', async () => {
  const s = store();
  const netName = uniq('app');
  ok(s, ['network', 'create', netName]);
  const db = ok(s, ['run', '-d', '--network', netName, '--name', 'db', '--network-alias', 'database', IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  let r = s.run(['run', '--rm', '--network', netName, IMG, 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://db:80/hostname && exit 0; sleep 0.2; done; exit 1']);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, `${db.slice(0, 12)}\n`);
  r = s.run(['run', '--rm', '--network', netName, '--add-host', 'extra.test:10.1.2.3', '--dns', '10.9.9.9', IMG, 'sh', '-c', 'wget -qO- http://database/hostname; cat /etc/hosts /etc/resolv.conf']);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`^${db.slice(0, 12)}$`, 'm'));
  assert.match(r.stdout, /^10\.1\.2\.3\s+extra\.test$/m);
  assert.match(r.stdout, /^nameserver 10\.9\.9\.9$/m);
  // a container started later is in the earlier one's /etc/hosts too
  const late = ok(s, ['run', '-d', '--network', netName, '--name', 'late', IMG, 'sleep', '30']);
  r = s.run(['exec', 'db', 'cat', '/etc/hosts']);
  if (r.code === 0) assert.match(r.stdout, /\blate\b/);
  else assert.match(fs.readFileSync(path.join(s.root, 'containers', db, 'hosts'), 'utf8'), /\blate\b/);
  ok(s, ['rm', '-f', db, late]);
  assert.deepEqual(leaks(s, db, netName), []);
  assert.deepEqual(leaks(s, late, netName), []);
  ok(s, ['network', 'rm', netName]);
});

test('--network none has only lo; --network host sees the host interfaces', () => {
  const s = store();
  let r = s.run(['run', '--rm', '--network', 'none', IMG, 'ip', '-o', 'link']);
  assert.equal(r.code, 0, show(r));
  const links = r.stdout.trim().split('\n');
  assert.equal(links.length, 1, r.stdout);
  assert.match(links[0]!, /^1: lo: <LOOPBACK,UP/);
  r = s.run(['run', '--rm', '--network', 'host', IMG, 'ip', '-o', 'link']);
  assert.equal(r.code, 0, show(r));
  const names = (t: string) => t.trim().split('\n').map((l) => l.split(': ')[1]!.split('@')[0]!).filter((n) => !n.startsWith('veth')).sort();
  const hostLinks = names(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }));
  for (const n of hostLinks.filter((x) => !x.startsWith(PREFIX) && !/^conman\d/.test(x))) assert.ok(names(r.stdout).includes(n), `${n} in ${r.stdout}`);
  r = s.run(['run', '--rm', '--network', 'none', '-p', '8080:80', IMG, 'true']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /published ports need a bridge network/);
});

test('two networks are isolated from each other', async () => {
  const s = store();
  const [n1, n2] = [uniq('iso'), uniq('iso')];
  ok(s, ['network', 'create', n1]);
  ok(s, ['network', 'create', n2]);
  const b = ok(s, ['run', '-d', '--network', n2, '--name', 'b', IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  const bIp = ok(s, ['run', '--rm', '--network', n2, IMG, 'sh', '-c', 'grep -w b /etc/hosts | cut -f1']);
  assert.match(bIp, /^\d+\.\d+\.\d+\.\d+$/);
  // same network: reachable (control); the other network: not. (`; exit` keeps sh as pid 1: timeout's signal
  // to a pid 1 would be ignored.)
  let r = s.run(['run', '--rm', '--network', n2, IMG, 'sh', '-c', `timeout 3 wget -qO- http://${bIp}/hostname; exit $?`]);
  assert.equal(r.stdout, `${b.slice(0, 12)}\n`, show(r));
  r = s.run(['run', '--rm', '--network', n1, IMG, 'sh', '-c', `timeout 3 wget -qO- http://${bIp}/hostname; exit $?`]);
  assert.notEqual(r.code, 0, show(r));
  assert.equal(r.stdout, '');
  ok(s, ['rm', '-f', b]);
  ok(s, ['network', 'rm', n1, n2]);
});

test('a container killed with SIGKILL leaves nothing behind once its shim cleaned up', async () => {
  const s = store();
  const netName = uniq('kill');
  ok(s, ['network', 'create', netName]);
  const port = await freePort();
  const id = ok(s, ['run', '-d', '--network', netName, '-p', `127.0.0.1:${port}:80`, IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  await waitHttp(port, '/hostname');
  const pid = Number(ok(s, ['inspect', '--format', '{{.State.Pid}}', id]));
  assert.ok(pid > 0);
  process.kill(pid, 'SIGKILL');
  assert.deepEqual(await waitGone(s, id, netName), []);
  assert.equal(ok(s, ['inspect', '--format', '{{.State.Status}}', id]), 'exited');
  // and the address is free again: a /30 network has room for exactly one container
  ok(s, ['rm', id]);
  const small = uniq('one');
  let created = false;
  for (let i = 0; i < 20 && !created; i++) {
    const r = s.run(['network', 'create', '--subnet', `10.${150 + crypto.randomInt(90)}.${crypto.randomInt(256)}.${crypto.randomInt(64) * 4}/30`, small]);
    created = r.code === 0;
  }
  assert.ok(created);
  for (let i = 0; i < 3; i++) {
    const r = s.run(['run', '--rm', '--network', small, IMG, 'true']);
    assert.equal(r.code, 0, `run ${i} on a one-address network: ${show(r)}`);
  }
  ok(s, ['network', 'rm', netName, small]);
});

test('bad input: bad -p, unknown network, port in use, overlapping subnet, network in use; nothing half-made', async () => {
  const s = store();
  let r = s.run(['run', '--rm', '-p', '80:', IMG, 'true']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /-p 80:/);
  r = s.run(['run', '--rm', '--network', `${PREFIX}nope`, IMG, 'true']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /network not found/);
  assert.equal(ok(s, ['ps', '-aq']), '', 'nothing was created');

  const srv = net.createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const busy = (srv.address() as net.AddressInfo).port;
  r = s.run(['run', '-d', '--name', 'busy', '-p', `127.0.0.1:${busy}:80`, IMG, 'sleep', '10']);
  srv.close();
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, new RegExp(`port 127\\.0\\.0\\.1:${busy}/tcp is already in use`));
  const ctrDir = path.join(s.runroot, 'networks', 'ctr');
  assert.deepEqual(fs.existsSync(ctrDir) ? fs.readdirSync(ctrDir) : [], []);

  const netName = uniq('ovl');
  const subnet = ok(s, ['network', 'inspect', '--format', '{{range .Subnets}}{{.Subnet}}{{end}}', (ok(s, ['network', 'create', netName]), netName)]);
  r = s.run(['network', 'create', '--subnet', subnet, uniq('ovl')]);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, new RegExp(`overlaps network ${netName}`));
  r = s.run(['network', 'create', '--subnet', 'not-a-subnet', uniq('bad')]);
  assert.equal(r.code, 125, show(r));
  r = s.run(['network', 'inspect', `${PREFIX}nope`]);
  assert.equal(r.code, 125, show(r));

  const before = ok(s, ['ps', '-aq']);
  r = s.run(['run', '--rm', '--network', netName, '--ip', '192.168.250.9', IMG, 'true']);
  assert.equal(r.code, 125, show(r));
  assert.match(r.stderr, /--ip 192\.168\.250\.9 is not in network/);
  assert.equal(ok(s, ['ps', '-aq']), before, 'nothing was created');
  const fixed = subnet.replace(/\.0\/24$/, '.77');
  assert.match(ok(s, ['run', '--rm', '--network', netName, '--ip', fixed, IMG, 'ip', '-o', '-4', 'addr', 'show', 'eth0']), new RegExp(`inet ${fixed.replace(/\./g, '\\.')}/24`));

  const id = ok(s, ['run', '-d', '--network', netName, IMG, 'sleep', '30']);
  r = s.run(['network', 'rm', netName]);
  assert.equal(r.code, 2, `in use: exit 2, as podman: ${show(r)}`);
  assert.match(r.stderr, /is in use by container/);
  assert.equal(s.run(['network', 'rm', `${netName}-nosuch`]).code, 1, 'no such network: exit 1, as podman');
  assert.match(ok(s, ['network', 'ls', '--format', '{{.Name}}']), new RegExp(netName));
  // a repeated filter key ORs its values, as in podman
  assert.equal(ok(s, ['network', 'ls', '-f', `name=^${netName}$`, '-f', 'name=^conman$', '--format', '{{.Name}}']).split('\n').filter(Boolean).sort().join(','), ['conman', netName].sort().join(','));
  ok(s, ['network', 'rm', '-f', netName]);
  assert.equal(s.run(['inspect', id]).code, 125, 'network rm -f removed its container');
  assert.deepEqual(leaks(s, id, netName), []);
  assert.doesNotMatch(ok(s, ['network', 'ls']), new RegExp(netName));
});
