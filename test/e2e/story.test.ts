import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { visibleAttachments } from '../fakes/discord.js';
import { openStore } from '../../src/store/index.js';
import { DEFAULT_IDS, button, rawUser, slashCommand, type RawInteraction } from '../fakes/interactions.js';
import type { FakeTaskPlan } from '../fakes/toapis.js';
import { pngBytes } from '../support/images.js';
import { makeClip, probeFile } from '../support/videos.js';
import { messageText, startWorld, type World, type WorldOptions } from './world.js';
import { customIds, ephemeralReply } from '../support/components.js';

/**
 * `/vidu-story` end to end: three real mp4 clips (ffmpeg-made), each submitted once from the
 * previous clip's last frame, joined by ffmpeg into one video posted once.
 */
let dir: string;
/** Real clips by prompt, with their durations in seconds and their distinct last frames. */
const CLIPS = [
  { prompt: 'A fox wakes up in a snowy den', durationS: 1, frame: pngBytes(11) },
  { prompt: 'The fox leaps into the forest', durationS: 2, frame: pngBytes(12) },
  { prompt: 'The fox watches the sunrise', durationS: 1, frame: pngBytes(13) },
];
const videos: Buffer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-story-'));
  for (const [i, c] of CLIPS.entries()) {
    const path = join(dir, `clip${i}.mp4`);
    await makeClip(path, { width: 320, height: 180, fps: 8, durationS: c.durationS, noise: 0, audio: i !== 1 });
    videos.push(await readFile(path));
  }
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const OTHER_USER = '1300000000000000777';

/** Each prompt's real clip and last frame; a prompt in `failing` fails upstream. */
function planFor(failing: Set<string> = new Set()) {
  return (body: Record<string, unknown>): Partial<FakeTaskPlan> | undefined => {
    const i = CLIPS.findIndex((c) => c.prompt === body.prompt);
    if (i < 0) return undefined;
    if (failing.has(CLIPS[i]!.prompt)) return { outcome: 'failed', failMessage: 'the clip could not be made' };
    return { video: videos[i], lastFrame: CLIPS[i]!.frame };
  };
}

function storyWorld(options: WorldOptions = {}) {
  return startWorld({ plan: { queuedMs: 50, runMs: 150 }, ...options, toapis: { planFor: planFor(), ...options.toapis } });
}

function story(prompts: string[], extra: { name: string; type: number; value: string | number | boolean }[] = [], user?: string): RawInteraction {
  return slashCommand({
    name: 'vidu-story',
    options: [...prompts.map((value, i) => ({ name: `prompt${i + 1}`, type: 3, value })), ...extra],
    ...(user ? { user: rawUser({ id: user }) } : {}),
  });
}

/** Every message that shows an mp4. */
function videoMessages(w: World) {
  return [...w.discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename.endsWith('.mp4')));
}

/** The submit bodies in order, and the bytes of the image each one starts from. */
function submits(w: World) {
  return [...w.toapis.tasks.values()].map((task) => {
    const urls = (task.body.image_urls as string[] | undefined) ?? [];
    return { body: task.body, images: urls.map((u) => w.toapis.uploads.find((up) => up.url === u)?.bytes) };
  });
}

/** Waits until the member's operator ledger line for today reads `weight`. */
async function spentReaches(w: World, weight: number): Promise<void> {
  const store = await openStore(w.env.STORE_URL);
  try {
    const key = `user:${DEFAULT_IDS.userId}:${new Date().toISOString().slice(0, 10)}`;
    const deadline = Date.now() + 10_000;
    while ((await store.spendLines.get(key)) !== weight && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await store.spendLines.get(key)).toBe(weight);
  } finally {
    await store.close();
  }
}

async function durationOf(bytes: Buffer): Promise<number> {
  const path = join(dir, `probe-${Math.random().toString(36).slice(2)}.mp4`);
  await writeFile(path, bytes);
  try {
    return (await probeFile(path)).durationS;
  } finally {
    await rm(path, { force: true });
  }
}

describe('/vidu-story', () => {
  it('three clips chained through last frames, joined by ffmpeg, posted once with each clip reachable', async () => {
    world = await storyWorld();
    const raw = story(
      CLIPS.map((c) => c.prompt),
      [{ name: 'duration', type: 4, value: 1 }],
    );
    await world.discord.injectInteraction(raw);
    const final = await world.finalMessage(raw.token, 60_000);

    // Every clip submitted once; clip n+1 starts from clip n's last frame.
    expect(world.toapis.stats.submitRequests).toBe(3);
    const sent = submits(world);
    expect(sent.map((s) => s.body.prompt)).toEqual(CLIPS.map((c) => c.prompt));
    expect(sent[0]!.images).toEqual([]);
    expect(sent[1]!.images[0]!.equals(CLIPS[0]!.frame)).toBe(true);
    expect(sent[2]!.images[0]!.equals(CLIPS[1]!.frame)).toBe(true);
    expect(sent.map((s) => s.body.client_business_id)).toEqual([`vidu-${raw.id}`, `vidu-${raw.id}-1`, `vidu-${raw.id}-2`]);

    // One joined video, posted once, as long as the three clips together.
    const posted = videoMessages(world);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.id).toBe(final.id);
    const [file] = visibleAttachments(final);
    expect(file!.filename).toBe(`vidu-${raw.id}-2.mp4`);
    const total = CLIPS.reduce((s, c) => s + c.durationS, 0);
    expect(await durationOf(file!.bytes)).toBeGreaterThan(total - 0.35);
    expect(await durationOf(file!.bytes)).toBeLessThan(total + 0.35);

    // Each clip is still reachable: its job id for /vidu-show and a link to its file.
    const text = messageText(final);
    expect(text).toContain('Story · 3 clips');
    for (const id of [raw.id, `${raw.id}-1`, `${raw.id}-2`]) expect(text).toContain(id);
    expect(text).toMatch(/Clip 1[\s\S]*Clip 2[\s\S]*Clip 3/);
    expect(customIds(final)).toContain(`job:continue:${raw.id}-2`);
  });

  it('a failed clip stops the chain with a clear message, gives back the unused weight, and Retry goes on from there', async () => {
    const failing = new Set([CLIPS[1]!.prompt]);
    // An operator cap, so the ledger shows what is reserved and what is given back.
    world = await storyWorld({ toapis: { planFor: planFor(failing) }, env: { VIDU_USER_DAILY_LIMIT: '100' } });
    const raw = story(
      CLIPS.map((c) => c.prompt),
      [
        { name: 'model', type: 3, value: 'viduq3-turbo' },
        { name: 'duration', type: 4, value: 2 },
      ],
    );
    await world.discord.injectInteraction(raw);
    const failed = await world.finalMessage(raw.token, 60_000);
    const text = messageText(failed);
    expect(text).toContain('Clip 2 of 3 failed');
    expect(text).toContain('the clip could not be made');
    expect(world.toapis.stats.submitRequests).toBe(2);
    expect(customIds(failed)).toContain(`story:retry:${raw.id}:1`);
    await world.discord.waitFor(() => world!.logs.find((l) => l.includes('"msg":"story ended"') && l.includes('"refunded":2')));
    // 3 clips × 2 s reserved; clip 2 failed (given back by the engine) and clip 3 never ran (by the story).
    await spentReaches(world, 2);

    // Someone else cannot retry it; nothing is submitted.
    const foreign = button({ customId: `story:retry:${raw.id}:1`, message: world.discord.wireMessage(failed.id), user: rawUser({ id: OTHER_USER }) });
    await world.discord.injectInteraction(foreign);
    expect(await ephemeralReply(world, foreign)).toMatch(/<@\d+>/);
    expect(world.toapis.stats.submitRequests).toBe(2);

    // The requester retries clip 2: it starts from clip 1's last frame, then clip 3 follows.
    failing.clear();
    const retry = button({ customId: `story:retry:${raw.id}:1`, message: world.discord.wireMessage(failed.id) });
    await world.discord.injectInteraction(retry);
    const final = await world.finalMessage(retry.token, 60_000);
    expect(messageText(final)).toContain('Story · 3 clips');
    expect(world.toapis.stats.submitRequests).toBe(4);
    const sent = submits(world);
    expect(sent[2]!.body.prompt).toBe(CLIPS[1]!.prompt);
    expect(sent[2]!.images[0]!.equals(CLIPS[0]!.frame)).toBe(true);
    expect(sent[3]!.images[0]!.equals(CLIPS[1]!.frame)).toBe(true);
    const [file] = visibleAttachments(final);
    expect(file!.filename).toBe(`vidu-${retry.id}-2.mp4`);
    expect(await durationOf(file!.bytes)).toBeGreaterThan(4 - 0.35);
    expect(videoMessages(world)).toHaveLength(1);
    await spentReaches(world, 6);

    // A second Retry click has nothing to do.
    const again = button({ customId: `story:retry:${raw.id}:1`, message: world.discord.wireMessage(failed.id) });
    await world.discord.injectInteraction(again);
    expect(await ephemeralReply(world, again)).toContain('not waiting for a retry');
  });

  it('Stop on a running clip ends the story: nothing posted, the clips after it given back, the stopped one still counted', async () => {
    world = await storyWorld({
      env: { VIDU_USER_DAILY_LIMIT: '100' },
      toapis: { planFor: (body) => (body.prompt === CLIPS[1]!.prompt ? { neverFinish: true } : planFor()(body)) },
    });
    const raw = story(
      CLIPS.map((c) => c.prompt),
      [
        { name: 'model', type: 3, value: 'viduq3-turbo' },
        { name: 'duration', type: 4, value: 2 },
      ],
    );
    await world.discord.injectInteraction(raw);
    await world.discord.waitFor(() => world!.toapis.stats.tasksCreated === 2 || undefined, { timeoutMs: 30_000 });
    await world.discord.waitFor(() => world!.logs.find((l) => l.includes(`"task":"${raw.id}-1"`) && l.includes('"msg":"submitted"')));
    const card = world.discord.originalMessage(raw.token)!;
    expect(messageText(card)).toContain('Clip 2 of 3');
    const stop = button({ customId: `job:stop:${raw.id}-1`, message: world.discord.wireMessage(card.id) });
    await world.discord.injectInteraction(stop);
    await world.discord.waitFor(() =>
      world!.logs.find((l) => l.includes('"msg":"story ended"') && l.includes('"how":"stopped"') && l.includes('"refunded":2')),
    );
    await spentReaches(world, 4);
    expect(videoMessages(world)).toHaveLength(0);
    expect(world.toapis.stats.submitRequests).toBe(2);
  });

  it.each([
    ['one prompt', [CLIPS[0]!.prompt], [], 'at least 2 prompts'],
    ['seven prompts', Array.from({ length: 7 }, (_, i) => `clip ${i + 1}`), [], 'at most 6 prompts, and this one has 7'],
    ['an empty prompt', ['A fox', '   '], [], 'Clip 2:'],
    ['a prompt over 5000 characters', ['A fox', 'x'.repeat(5001)], [], 'Clip 2:'],
    ['viduq3 (no first frame)', ['A fox', 'A hare'], [{ name: 'model', type: 3, value: 'viduq3' }], 'viduq3 cannot start a clip'],
    ['a bad aspect ratio', ['A fox', 'A hare'], [{ name: 'aspect_ratio', type: 3, value: 'wide' }], 'Clip 1:'],
  ] as const)('refuses %s clearly and submits nothing', async (_name, prompts, extra, expected) => {
    world ??= await storyWorld();
    const raw = story([...prompts], [...extra]);
    await world.discord.injectInteraction(raw);
    expect(await ephemeralReply(world, raw)).toContain(expected);
    expect(world.toapis.stats.submitRequests).toBe(0);
    expect(world.toapis.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});
