import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes every temp file of one job in `tmpDir`: its video (`<id>.mp4`) and any partial
 * download (`<id>.mp4.<random>.part`) — also those a killed process left behind, which no later
 * step would otherwise name. Only this job's files: shard processes share the directory.
 */
export async function removeJobTempFiles(tmpDir: string, jobId: string): Promise<void> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${jobId}.`)).map((n) => rm(join(tmpDir, n), { force: true })));
}
