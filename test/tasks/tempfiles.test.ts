import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeJobTempFiles } from '../../src/tasks/tempfiles.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('removeJobTempFiles', () => {
  it("removes the job's video and the partial downloads a killed process left, and nothing of other jobs", async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidu-tempfiles-'));
    const names = ['111.mp4', '111.mp4.ab12cd34.part', '111.mp4.0000ffff.part', '1112.mp4', '222.mp4.ab12cd34.part', 'other.txt'];
    await Promise.all(names.map((n) => writeFile(join(dir!, n), 'x')));
    await removeJobTempFiles(dir, '111');
    expect((await readdir(dir)).sort()).toEqual(['1112.mp4', '222.mp4.ab12cd34.part', 'other.txt']);
  });

  it('a missing directory is not an error', async () => {
    await expect(removeJobTempFiles(join(tmpdir(), 'vidu-no-such-dir-for-tempfiles'), '1')).resolves.toBeUndefined();
  });
});
