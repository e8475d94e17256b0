/** Reads one line from stdin after printing a prompt on stderr (empty at end of input). */
export async function readLine(prompt: string, opts: { silent?: boolean } = {}): Promise<string> {
  process.stderr.write(prompt);
  const tty = process.stdin.isTTY && opts.silent;
  if (tty) process.stdin.setRawMode?.(false);
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) finish(buf.slice(0, i));
    };
    const finish = (s: string) => {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      if (opts.silent) process.stderr.write('\n');
      resolve(s.replace(/\r$/, ''));
    };
    const onEnd = () => finish(buf);
    process.stdin.on('data', onData);
    process.stdin.on('end', onEnd);
    process.stdin.resume();
  });
}

/** All of stdin (for --password-stdin). */
export async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
