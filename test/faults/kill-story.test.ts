import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, visibleAttachments, type FakeDiscord } from '../fakes/discord.js';
import { slashCommand } from '../fakes/interactions.js';
import { startFakeToapis, type FakeToapis } from '../fakes/toapis.js';
import { spawnBot, type BotProcess } from '../support/child.js';
import { pngBytes } from '../support/images.js';
import { makeClip, probeFile } from '../support/videos.js';
import { API_KEY, BOT_TOKEN } from '../e2e/world.js';

/**
 * Issue 12's proof for `/vidu-story`, with real processes (as test/faults/kill.test.ts): a
 * three-clip story whose bot is SIGKILLed while the second clip runs; a second process over the
 * same SQLite file finishes the chain. Every clip is submitted once, one joined video (real
 * mp4s joined by ffmpeg, as long as the three together) is posted once.
 */
const PROMPTS = ['A lighthouse at dusk', 'The lamp turns on', 'Night falls over the sea'];
const DURATIONS_S = [1, 2, 1];
let dir: string;
let toapis: FakeToapis;
let discord: FakeDiscord;
const bots: BotProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-kill-story-'));
  const videos: Buffer[] = [];
  for (const [i, durationS] of DURATIONS_S.entries()) {
    const path = join(dir, `clip${i}.mp4`);
    await makeClip(path, { width: 320, height: 180, fps: 8, durationS, noise: 0 });
    videos.push(await readFile(path));
  }
  toapis = await startFakeToapis({
    apiKey: API_KEY,
    plan: { queuedMs: 300, runMs: 900 },
    planFor: (body) => {
      const i = PROMPTS.indexOf(body.prompt as string);
      // The second clip runs long enough to be killed in the middle of it.
      return i < 0 ? undefined : { video: videos[i], lastFrame: pngBytes(20 + i), ...(i === 1 ? { runMs: 3_000 } : {}) };
    },
  });
  discord = await startFakeDiscord({ botToken: BOT_TOKEN });
}, 60_000);

afterAll(async () => {
  for (const b of bots) b.kill('SIGKILL');
  await Promise.all(bots.map((b) => b.exited));
  await Promise.allSettled([discord?.close(), toapis?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function boot(): Promise<BotProcess> {
  const bot = spawnBot(
    {
      DISCORD_TOKEN: BOT_TOKEN,
      TOAPIS_API_KEY: API_KEY,
      TOAPIS_BASE_URL: toapis.url,
      DISCORD_API_URL: discord.apiUrl,
      STORE_URL: `sqlite://${join(dir, 'vidu.sqlite')}`,
      LOG_LEVEL: 'info',
      VIDU_TIME_SCALE: '0.02',
    },
    dir,
  );
  bots.push(bot);
  await bot.waitForLine(/"msg":"ready"/, 60_000);
  return bot;
}

describe('/vidu-story across a SIGKILL', () => {
  it('killed while the second clip runs: the restart finishes the chain, each clip submitted once, one joined video posted once', async () => {
    const first = await boot();
    const raw = slashCommand({
      name: 'vidu-story',
      options: [...PROMPTS.map((value, i) => ({ name: `prompt${i + 1}`, type: 3, value })), { name: 'duration', type: 4, value: 1 }],
    });
    await discord.injectInteraction(raw);
    // Clip 1 handed on, clip 2 submitted and being polled.
    await first.waitForLine(/"msg":"story clip handed on"/);
    await discord.waitFor(() => (toapis.stats.tasksCreated === 2 && toapis.stats.statusRequests >= 3) || undefined, { timeoutMs: 20_000 });
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(toapis.stats.submitRequests).toBe(2);

    const second = await boot();
    await second.waitForLine(new RegExp(`"task":"${raw.id}-2".*"msg":"delivered"`), 60_000);
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    expect(toapis.stats.submitRequests).toBe(3);
    expect(toapis.stats.tasksCreated).toBe(3);
    const posted = [...discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename.endsWith('.mp4')));
    expect(posted).toHaveLength(1);
    const [file] = visibleAttachments(posted[0]!);
    expect(file!.filename).toBe(`vidu-${raw.id}-2.mp4`);
    const path = join(dir, 'joined.mp4');
    await writeFile(path, file!.bytes);
    const probed = await probeFile(path);
    const total = DURATIONS_S.reduce((a, b) => a + b, 0);
    expect(probed.durationS).toBeGreaterThan(total - 0.35);
    expect(probed.durationS).toBeLessThan(total + 0.35);
    expect(probed.video).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p' });
    expect(probed.audio?.codec).toBe('aac');
  }, 120_000);

  it('killed right after the hand-on, while the second clip uploads its first frame: no clip submitted twice', async () => {
    const before = { submits: toapis.stats.submitRequests, messages: new Set(discord.messages.keys()) };
    // The first upload of this story is the second clip's first frame (the first clip has no image).
    toapis.inject({ path: 'upload', fault: { hang: true } });
    const first = await boot();
    const raw = slashCommand({
      name: 'vidu-story',
      options: [...PROMPTS.map((value, i) => ({ name: `prompt${i + 1}`, type: 3, value })), { name: 'duration', type: 4, value: 1 }],
    });
    await discord.injectInteraction(raw);
    await first.waitForLine(/"msg":"story clip handed on"/);
    await discord.waitFor(() => toapis.requests.some((q) => q.path === '/v1/uploads/images') || undefined, { timeoutMs: 20_000 });
    first.kill('SIGKILL');
    await first.exited;
    expect(toapis.stats.submitRequests - before.submits).toBe(1);

    const second = await boot();
    await second.waitForLine(new RegExp(`"task":"${raw.id}-2".*"msg":"delivered"`), 60_000);
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(toapis.stats.submitRequests - before.submits).toBe(3);
    const posted = [...discord.messages.values()].filter(
      (m) => !before.messages.has(m.id) && !m.deleted && visibleAttachments(m).some((a) => a.filename.endsWith('.mp4')),
    );
    expect(posted).toHaveLength(1);
    expect(visibleAttachments(posted[0]!)[0]!.filename).toBe(`vidu-${raw.id}-2.mp4`);
  }, 120_000);
});
