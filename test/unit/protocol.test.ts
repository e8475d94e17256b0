/** The shim's frame protocol (src/shim/protocol.ts): framing across chunk borders, and the frame size cap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { frame, FrameReader, MAX_FRAME, CONTROL, EXIT, STDOUT } from '../../src/shim/protocol.js';
import { FrameClient } from '../../src/core/runtime/shim-client.js';

test('frames survive any split into chunks', () => {
  const frames: Array<[number, string]> = [[STDOUT, 'hello'], [CONTROL, '{"type":"started","pid":1}'], [STDOUT, ''], [EXIT, '{"exitCode":0}']];
  const wire = Buffer.concat(frames.map(([s, p]) => frame(s, p)));
  for (const size of [1, 2, 5, 7, wire.length]) {
    const got: Array<[number, string]> = [];
    const r = new FrameReader((s, p) => got.push([s, p.toString()]), (e) => assert.fail(e));
    for (let i = 0; i < wire.length; i += size) r.push(wire.subarray(i, i + size));
    assert.deepEqual(got, frames, `chunks of ${size}`);
  }
});

test('a 64 KB output chunk and the cap itself are legal', () => {
  const big = Buffer.alloc(64 * 1024, 'x');
  const got: Buffer[] = [];
  const errors: Error[] = [];
  const r = new FrameReader((_s, p) => got.push(p), (e) => errors.push(e));
  r.push(frame(STDOUT, big));
  assert.equal(got.length, 1);
  assert.ok(got[0]!.equals(big));
  // a header announcing exactly MAX_FRAME is waited for, not refused
  const head = Buffer.alloc(5);
  head[0] = STDOUT;
  head.writeUInt32BE(MAX_FRAME, 1);
  r.push(head);
  assert.deepEqual(errors, []);
});

test('a frame announcing more than MAX_FRAME is an error for the owner, not a buffer', () => {
  const got: number[] = [];
  const errors: Error[] = [];
  const r = new FrameReader((s) => got.push(s), (e) => errors.push(e));
  r.push(frame(STDOUT, 'ok'));
  const head = Buffer.alloc(5);
  head[0] = STDOUT;
  head.writeUInt32BE(MAX_FRAME + 1, 1);
  r.push(Buffer.concat([head, Buffer.alloc(1000)]));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /exceeds/);
  // the stream has lost its framing: nothing after it is taken for a frame, nor kept
  r.push(frame(STDOUT, 'after'));
  r.push(Buffer.alloc(1 << 20));
  assert.deepEqual(got, [STDOUT]);
  assert.equal(errors.length, 1);
  // 0xffffffff, the largest a header can say
  const r2 = new FrameReader(() => assert.fail('no frame'), (e) => errors.push(e));
  r2.push(Buffer.from([STDOUT, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(errors.length, 2);
});

test("the CLI's frame client drops a shim that sends an oversized frame", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conman-unit-'));
  const sockPath = path.join(dir, 'attach.sock');
  const server = net.createServer((s) => {
    const head = Buffer.alloc(5);
    head[0] = STDOUT;
    head.writeUInt32BE(0xfffffff0, 1);
    s.write(Buffer.concat([frame(STDOUT, 'first'), head]));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(sockPath, r));
  try {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(sockPath, () => resolve(s));
      s.once('error', reject);
    });
    const client = new FrameClient(sock);
    const out: string[] = [];
    client.onOutput = (_s, p) => out.push(p.toString());
    assert.equal(await client.exit, undefined); // the connection is closed, no exit code
    assert.deepEqual(out, ['first']);
    assert.ok(sock.destroyed);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
