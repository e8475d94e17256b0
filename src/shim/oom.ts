/**
 * OOM kills are counted in the container's cgroup, which runc removes when it exits: the shim watches the
 * count while the container runs (v2 notifies changes of memory.events through inotify; v1's
 * memory.oom_control does not, so it is polled: best effort there).
 */
import fs from 'node:fs';

export interface OomWatch {
  /** true once the cgroup counted an OOM kill */
  killed(): boolean;
  /** one last look (the cgroup may still be there), then stop watching */
  stop(lastLook: boolean): void;
}

export function watchOom(oomFile: string | undefined, started: () => boolean): OomWatch {
  let oomKilled = false;
  const readOom = () => {
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(oomFile!, 'utf8'));
      if (m && Number(m[1]) > 0) oomKilled = true;
    } catch {
      /* not there yet, or gone */
    }
  };
  const oomTimer = oomFile ? setInterval(readOom, oomFile.endsWith('memory.events') ? 200 : 20) : undefined;
  let oomWatch: fs.FSWatcher | undefined;
  if (oomFile?.endsWith('memory.events')) {
    const tryWatch = () => {
      try {
        oomWatch = fs.watch(oomFile, readOom);
        oomWatch.on('error', () => {});
      } catch {
        if (!started()) setTimeout(tryWatch, 10);
      }
    };
    tryWatch();
  }
  return {
    killed: () => oomKilled,
    stop(lastLook) {
      if (oomTimer) clearInterval(oomTimer);
      if (oomFile && lastLook) readOom();
      oomWatch?.close();
    },
  };
}
