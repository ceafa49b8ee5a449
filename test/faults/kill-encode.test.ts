import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, visibleAttachments, type FakeDiscord } from '../fakes/discord.js';
import { slashCommand } from '../fakes/interactions.js';
import { startFakeToapis, type FakeToapis } from '../fakes/toapis.js';
import { botEnv, bootBot, type BotProcess } from '../support/child.js';
import { makeClip, probeFile } from '../support/videos.js';
import { API_KEY, BOT_TOKEN } from '../e2e/world.js';

/**
 * Issue 11: exactly-once delivery across a SIGKILL in the middle of an encode, with real
 * processes (as test/faults/kill.test.ts): the bot is killed while ffmpeg re-encodes, a second
 * process over the same SQLite file encodes again and posts once.
 */
const MiB = 1024 * 1024;
const run = promisify(execFile);
let dir: string;
let toapis: FakeToapis;
let discord: FakeDiscord;
const bots: BotProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-kill-encode-'));
  await makeClip(join(dir, 'big.mp4'), { durationS: 2, fps: 8, noise: 8, qp: 14 });
  toapis = await startFakeToapis({ apiKey: API_KEY, plan: { queuedMs: 300, runMs: 600, video: await readFile(join(dir, 'big.mp4')) } });
  discord = await startFakeDiscord({ botToken: BOT_TOKEN });
}, 120_000);

afterAll(async () => {
  for (const b of bots) b.kill('SIGKILL');
  await Promise.all(bots.map((b) => b.exited));
  await Promise.allSettled([discord?.close(), toapis?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const boot = (): Promise<BotProcess> =>
  bootBot(
    botEnv(
      {
        discordToken: BOT_TOKEN,
        toapisApiKey: API_KEY,
        toapisUrl: toapis.url,
        discordApiUrl: discord.apiUrl,
        storeUrl: `sqlite://${join(dir, 'vidu.sqlite')}`,
      },
      { VIDU_TIME_SCALE: '0.02' },
    ),
    dir,
    bots,
    60_000,
  );

/** ffmpeg processes writing this job's re-encode (the orphans a killed bot could leave). */
async function encoders(jobId: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((l) => l.includes('ffmpeg') && l.includes(`${jobId}.fit-`));
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SIGKILL during the encode, then a restart', () => {
  it('encodes again and posts the video exactly once, under the limit; no encoder is left running', async () => {
    const first = await boot();
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'killed while encoding' }], attachmentSizeLimit: MiB });
    await discord.injectInteraction(raw);
    await first.waitForLine(/re-encoding to fit/, 60_000);
    // ffmpeg is running for this job: kill the bot under it.
    await until(async () => ((await encoders(raw.id)).length > 0 ? true : undefined), 30_000, 'ffmpeg to start');
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const results = () => [...discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename === `vidu-${raw.id}.mp4`));
    expect(results()).toHaveLength(0);
    // The orphaned encoder dies on its next progress write (SIGPIPE), not minutes later.
    await until(async () => ((await encoders(raw.id)).length === 0 ? true : undefined), 10_000, 'the orphaned ffmpeg to exit');

    const second = await boot();
    await second.waitForLine(new RegExp(`"task":"${raw.id}".*"msg":"delivered"`), 240_000);
    expect(results()).toHaveLength(1);
    const attachment = visibleAttachments(results()[0]!)[0]!;
    expect(attachment.size).toBeLessThanOrEqual(MiB);
    const out = join(dir, 'delivered.mp4');
    await writeFile(out, attachment.bytes);
    expect((await probeFile(out)).video?.codec).toBe('h264');
    // One upload only, never over the limit.
    const uploads = discord.calls.filter((c) => c.files.length > 0);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.files[0]!.size).toBeLessThanOrEqual(MiB);
    expect(toapis.stats.submitRequests).toBe(1);
    // Nothing of the job is left in the bot's temp dir.
    expect((await readdir(join(tmpdir(), 'vidu-bot'))).filter((n) => n.startsWith(`${raw.id}.`))).toEqual([]);
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 400_000);
});
