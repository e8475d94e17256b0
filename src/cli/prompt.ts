let pending = '';
let ended = false;

/** Reads one line from stdin after printing a prompt on stderr (empty at end of input). */
export async function readLine(prompt: string, opts: { silent?: boolean } = {}): Promise<string> {
  process.stderr.write(prompt);
  if (process.stdin.isTTY && opts.silent) return readHidden();
  return new Promise((resolve) => {
    const take = (): boolean => {
      const i = pending.indexOf('\n');
      if (i < 0 && !ended) return false;
      const line = i < 0 ? pending : pending.slice(0, i);
      pending = i < 0 ? '' : pending.slice(i + 1);
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.pause();
      resolve(line.replace(/\r$/, ''));
      return true;
    };
    const onData = (d: Buffer) => {
      pending += d.toString('utf8');
      take();
    };
    const onEnd = () => {
      ended = true;
      take();
    };
    if (take()) return;
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

/** A line typed on the terminal without echo (raw mode; backspace edits, Ctrl-C aborts with 130). */
function readHidden(): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    let buf = '';
    stdin.setRawMode(true);
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.off('data', onData);
          stdin.pause();
          process.stderr.write('\n');
          resolve(buf);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          process.stderr.write('\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
