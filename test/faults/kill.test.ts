import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, visibleAttachments, type FakeDiscord } from '../fakes/discord.js';
import { startFakeToapis, type FakeToapis } from '../fakes/toapis.js';
import { botEnv, bootBot, type BotProcess } from '../support/child.js';
import { pngBytes } from '../support/images.js';
import { API_KEY, BOT_TOKEN, startWorld } from '../e2e/world.js';

/**
 * SIGKILL at every step of a job, with real processes: the bot runs as `node src/main.ts`,
 * is killed at a precise point (held there by a fake that never answers), and a second
 * process over the same SQLite file must finish the job with one paid submit and one result.
 */
interface Rig {
  toapis: FakeToapis;
  discord: FakeDiscord;
  dir: string;
  env: Record<string, string>;
  bots: BotProcess[];
}
let rig: Rig | undefined;

async function startRig(): Promise<Rig> {
  const toapis = await startFakeToapis({ apiKey: API_KEY, plan: { queuedMs: 300, runMs: 900 } });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  const dir = await mkdtemp(join(tmpdir(), 'vidu-kill-'));
  const env = botEnv(
    { discordToken: BOT_TOKEN, toapisApiKey: API_KEY, toapisUrl: toapis.url, discordApiUrl: discord.apiUrl, storeUrl: `sqlite://${join(dir, 'vidu.sqlite')}` },
    { VIDU_TIME_SCALE: '0.02' },
  );
  rig = { toapis, discord, dir, env, bots: [] };
  return rig;
}

const boot = (r: Rig): Promise<BotProcess> => bootBot(r.env, r.dir, r.bots);

async function kill(bot: BotProcess): Promise<void> {
  bot.kill('SIGKILL');
  const { signal } = await bot.exited;
  expect(signal).toBe('SIGKILL');
}

afterEach(async () => {
  if (!rig) return;
  for (const b of rig.bots) b.kill('SIGKILL');
  await Promise.all(rig.bots.map((b) => b.exited));
  await Promise.allSettled([rig.discord.close(), rig.toapis.close()]);
  await rm(rig.dir, { recursive: true, force: true });
  rig = undefined;
});

/** The one message (among all the fake knows) that carries this job's mp4. */
function resultMessages(r: Rig, interactionId: string) {
  return [...r.discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename === `vidu-${interactionId}.mp4`));
}

async function finishAfterRestart(r: Rig, raw: { id: string; token: string }) {
  const second = await boot(r);
  await second.waitForLine(/"resumed":1/);
  await second.waitForLine(new RegExp(`"task":"${raw.id}".*"msg":"delivered"`));
  const message = await r.discord.waitFor(() => resultMessages(r, raw.id)[0], { timeoutMs: 20_000, description: 'result after restart' });
  // Graceful stop of the survivor: exit 0.
  second.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
  return message;
}

describe('process death at every step (SIGKILL), then a restart', () => {
  it('after acknowledging, before the submit (while uploading images)', async () => {
    const r = await startRig();
    const first = await boot(r);
    r.toapis.inject({ path: 'upload', fault: { hang: true } });
    const img = r.discord.addAttachment({ filename: 'a.png', bytes: pngBytes(5), contentType: 'image/png' });
    const { slashCommand } = await import('../fakes/interactions.js');
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'killed while uploading' }], attachments: { image1: img } });
    await r.discord.injectInteraction(raw);
    await r.discord.waitFor(() => r.toapis.stats.uploadRequests === 1 || undefined);
    await kill(first);
    expect(r.toapis.stats.submitRequests).toBe(0);

    const message = await finishAfterRestart(r, raw);
    expect(r.toapis.stats.tasksCreated).toBe(1);
    expect(r.toapis.stats.submitRequests).toBe(1);
    expect(resultMessages(r, raw.id)).toHaveLength(1);
    expect(visibleAttachments(message)[0]!.bytes.equals([...r.toapis.tasks.values()][0]!.video)).toBe(true);
  });

  it('after the submit reached toapis, before the task id was stored: no second paid submit', async () => {
    const r = await startRig();
    const first = await boot(r);
    r.toapis.inject({ path: 'submit', fault: { afterCommit: 'hang' } });
    const { slashCommand } = await import('../fakes/interactions.js');
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'killed after submit' }] });
    await r.discord.injectInteraction(raw);
    await r.discord.waitFor(() => r.toapis.stats.tasksCreated === 1 || undefined);
    await kill(first);

    await finishAfterRestart(r, raw);
    expect(r.toapis.stats.submitRequests).toBe(1);
    expect(r.toapis.stats.tasksCreated).toBe(1);
    expect(resultMessages(r, raw.id)).toHaveLength(1);
    // The restarted process asked for the task by our id instead of submitting again.
    expect(r.toapis.requests.some((q) => q.method === 'GET' && q.path === `/v1/videos/generations/vidu-${raw.id}`)).toBe(true);
  });

  it('while polling', async () => {
    const r = await startRig();
    r.toapis.nextTasks.push({ queuedMs: 500, runMs: 1_500 });
    const first = await boot(r);
    const { slashCommand } = await import('../fakes/interactions.js');
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'killed while polling' }] });
    await r.discord.injectInteraction(raw);
    await r.discord.waitFor(() => r.toapis.stats.statusRequests >= 2 || undefined, { timeoutMs: 10_000 });
    await kill(first);

    await finishAfterRestart(r, raw);
    expect(r.toapis.stats.submitRequests).toBe(1);
    expect(resultMessages(r, raw.id)).toHaveLength(1);
  });

  it('while downloading the video', async () => {
    const r = await startRig();
    r.toapis.inject({ path: 'video', fault: { hang: true } });
    const first = await boot(r);
    const { slashCommand } = await import('../fakes/interactions.js');
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'killed while downloading' }] });
    await r.discord.injectInteraction(raw);
    await r.discord.waitFor(() => r.toapis.requests.some((q) => q.path.startsWith('/files/videos/')) || undefined, { timeoutMs: 10_000 });
    await kill(first);

    await finishAfterRestart(r, raw);
    expect(r.toapis.stats.submitRequests).toBe(1);
    expect(resultMessages(r, raw.id)).toHaveLength(1);
  });

  it('after Discord stored the video, before the record said so: no second upload', async () => {
    const r = await startRig();
    r.discord.inject({ method: 'PATCH', pathIncludes: '/messages/@original', withFiles: true, afterApply: 'hang' });
    const first = await boot(r);
    const { slashCommand } = await import('../fakes/interactions.js');
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'killed after upload' }] });
    await r.discord.injectInteraction(raw);
    await r.discord.waitFor(() => resultMessages(r, raw.id)[0], { timeoutMs: 10_000 });
    await kill(first);

    await finishAfterRestart(r, raw);
    // The hung upload (never answered) is the only one: the survivor found it and did not re-upload.
    const uploads = r.discord.calls.filter((c) => c.method === 'PATCH' && c.files.length > 0);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.injected).toBe(true);
    expect(resultMessages(r, raw.id)).toHaveLength(1);
    expect(r.bots[1]!.lines.some((l) => l.includes('already posted before a restart'))).toBe(true);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM parks a job mid-download and exits 0 in bounded time; the next start finishes it', async () => {
    const r = await startRig();
    r.toapis.inject({ path: 'video', fault: { hang: true } });
    const first = await boot(r);
    const { slashCommand } = await import('../fakes/interactions.js');
    const raw = slashCommand({ name: 'vidu', options: [{ name: 'prompt', type: 3, value: 'sigterm mid-download' }] });
    await r.discord.injectInteraction(raw);
    await r.discord.waitFor(() => r.toapis.requests.some((q) => q.path.startsWith('/files/videos/')) || undefined, { timeoutMs: 10_000 });
    first.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    expect(first.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);

    await finishAfterRestart(r, raw);
    expect(resultMessages(r, raw.id)).toHaveLength(1);
  });

  it('a command that arrives while stopping gets a clear "restarting" answer and nothing is submitted', async () => {
    const world = await startWorld();
    try {
      // Hold one job in a step so the stop waits (up to its grace period) with the client alive.
      world.toapis.inject({ path: 'video', fault: { hang: true } });
      const busy = world.vidu({ prompt: 'busy' });
      await world.discord.injectInteraction(busy);
      await world.discord.waitFor(() => world.toapis.requests.some((q) => q.path.startsWith('/files/videos/')) || undefined);
      const stopping = world.bot.stop(3_000);
      const raw = world.vidu({ prompt: 'arrives during shutdown' });
      await world.discord.injectInteraction(raw);
      const answered = await world.discord.waitFor(() => world.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
      expect(answered.type).toBe(4);
      expect((answered.data as { content: string; flags: number }).content).toMatch(/restarting/i);
      expect((answered.data as { flags: number }).flags & 64).toBe(64);
      await stopping;
      expect(world.toapis.stats.submitRequests).toBe(1);
    } finally {
      await world.close();
    }
  });
});
