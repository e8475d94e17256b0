import dgram from 'node:dgram';

/** Sends one UDP datagram and resolves with the first reply (5 s timeout). Test traffic: 127.0.0.1 or our own bridges. */
export function udpAsk(host: string, port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('udp timeout'));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send(msg, port, host);
  });
}
