/**
 * The attach socket of a running container (`conman attach`): every client gets the output frames and may
 * send stdin, signal and resize frames. Clients get a bounded buffer and are dropped when they fall
 * CLIENT_LIMIT behind, so they can never block the container (only the fd-3 client of a foreground run gets
 * backpressure, in main.ts).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { FrameReader } from './protocol.js';

const CLIENT_LIMIT = 8 * 1024 * 1024;

export const clients = new Set<net.Socket>();

export function broadcastToClients(buf: Buffer): void {
  for (const c of clients) {
    if (c.writableLength > CLIENT_LIMIT) {
      c.destroy();
      clients.delete(c);
      continue;
    }
    c.write(buf);
  }
}

export function listenAttach(attachPath: string, onFrame: (stream: number, payload: Buffer) => void): void {
  const server = net.createServer((sock) => {
    clients.add(sock);
    const r = new FrameReader(onFrame, () => {
      // a client that lost its framing is dropped; the container and the other clients go on
      clients.delete(sock);
      sock.destroy();
    });
    sock.on('data', (d: Buffer) => r.push(d));
    sock.on('error', () => {});
    sock.on('close', () => clients.delete(sock));
  });
  server.on('error', () => {});
  let p = attachPath;
  if (Buffer.byteLength(p) >= 100) {
    // sun_path is 108 bytes: bind through /proc/self/fd/N of the directory instead
    const dfd = fs.openSync(path.dirname(p), 'r');
    p = `/proc/self/fd/${dfd}/${path.basename(p)}`;
  }
  try {
    fs.rmSync(attachPath, { force: true });
    // listen() first loads node's cluster module (and through it child_process: ~4 ms per container) only to
    // learn that this is not a cluster worker; _listen2 is the step listen() takes next in a primary
    const internal = server as unknown as { _listen2?: (path: string, port: number, addressType: number, backlog: number) => void };
    if (typeof internal._listen2 === 'function') internal._listen2(p, -1, -1, 64);
    else server.listen(p);
    server.unref();
  } catch {
    /* attach unavailable; the run still works */
  }
}
