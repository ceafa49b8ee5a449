/**
 * Where a bot process stages files (finished videos, last frames): its own directory, made with
 * `mkdtemp` under one shared base, so a crash leaves nothing another process mistakes for its
 * own, and the next start removes what dead processes left behind.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a process id is running (signal 0 checks without signalling). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const RUN_DIR = /^run-(\d+)-/;

export interface ProcessTmpDir {
  /** This process's directory. */
  path: string;
  /** Directories of dead processes removed at creation. */
  swept: number;
  /** Removes this process's directory (graceful stop). */
  remove(): Promise<void>;
}

/**
 * Creates `<base>/run-<pid>-XXXXXX` and removes every `run-*` directory whose process is gone,
 * plus loose files an older version staged directly in `base`. Directories of live processes
 * (other shards, other bots in this process) are kept.
 */
export async function createProcessTmpDir(options: { base: string; pid?: number; isAlive?: (pid: number) => boolean }): Promise<ProcessTmpDir> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? pidAlive;
  await mkdir(options.base, { recursive: true });
  const path = await mkdtemp(join(options.base, `run-${pid}-`));
  let swept = 0;
  for (const entry of await readdir(options.base, { withFileTypes: true })) {
    const full = join(options.base, entry.name);
    if (full === path) continue;
    const owner = RUN_DIR.exec(entry.name)?.[1];
    if (entry.isDirectory() && owner !== undefined) {
      const ownerPid = Number(owner);
      // Our own pid is alive by definition: several bots in one process (tests) each keep theirs.
      if (ownerPid === pid || isAlive(ownerPid)) continue;
      await rm(full, { recursive: true, force: true });
      swept++;
    } else if (entry.isFile() && /\.(mp4|png|part)$/.test(entry.name)) {
      await rm(full, { force: true });
    }
  }
  return { path, swept, remove: () => rm(path, { recursive: true, force: true }) };
}
