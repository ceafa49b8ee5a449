import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessTmpDir } from '../../src/tasks/tmpdir.js';

let base: string | undefined;
afterEach(async () => {
  if (base) await rm(base, { recursive: true, force: true });
  base = undefined;
});

describe('createProcessTmpDir', () => {
  it('makes a fresh per-process directory and sweeps what dead processes left, keeping live ones', async () => {
    base = await mkdtemp(join(tmpdir(), 'vidu-tmpbase-'));
    await mkdir(join(base, 'run-111-aaaaaa'));
    await writeFile(join(base, 'run-111-aaaaaa', 'job.mp4'), Buffer.alloc(1024));
    await mkdir(join(base, 'run-222-bbbbbb')); // alive (another shard)
    await mkdir(join(base, 'run-333-cccccc')); // another bot in this same process
    await writeFile(join(base, 'old-job.mp4'), 'x'); // staged by an older version straight in base
    await writeFile(join(base, 'notes.txt'), 'kept');
    const dir = await createProcessTmpDir({ base, pid: 333, isAlive: (pid) => pid === 222 });
    expect(basename(dir.path)).toMatch(/^run-333-/);
    expect((await stat(dir.path)).isDirectory()).toBe(true);
    expect(dir.swept).toBe(1);
    expect((await readdir(base)).sort()).toEqual([basename(dir.path), 'notes.txt', 'run-222-bbbbbb', 'run-333-cccccc'].sort());
    await dir.remove();
    expect(await readdir(base)).not.toContain(basename(dir.path));
  });

  it('two processes get two directories', async () => {
    base = await mkdtemp(join(tmpdir(), 'vidu-tmpbase-'));
    const a = await createProcessTmpDir({ base, pid: 1, isAlive: () => true });
    const b = await createProcessTmpDir({ base, pid: 2, isAlive: () => true });
    expect(a.path).not.toBe(b.path);
    expect((await readdir(base)).length).toBe(2);
  });
});
