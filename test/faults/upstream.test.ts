import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import type { FakeFault } from '../fakes/toapis.js';
import { messageText, startWorld, type World } from '../e2e/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function runOne(w: World) {
  const raw = w.vidu();
  await w.discord.injectInteraction(raw);
  const message = await w.finalMessage(raw.token, 20_000);
  return { raw, message, text: messageText(message) };
}

describe('status reads survive upstream faults; each job still ends in one result', () => {
  const faults: [string, FakeFault][] = [
    ['429 without Retry-After', { status: 429 }],
    ['429 with Retry-After in seconds', { status: 429, retryAfter: '0' }],
    ['429 with Retry-After as an HTTP date', { status: 429, retryAfter: new Date(Date.now() - 1000).toUTCString() }],
    ['500', { status: 500 }],
    ['502 (proxy HTML page)', { status: 502 }],
    ['503', { status: 503 }],
    ['504 (proxy HTML page)', { status: 504 }],
    ['connection reset', { reset: true }],
    ['a hung request (timeout)', { hang: true }],
    ['malformed JSON', { malformed: true }],
    ['unexpected JSON', { json: { hello: 'world' } }],
  ];
  for (const [name, fault] of faults) {
    it(name, async () => {
      world = await startWorld();
      world.toapis.inject({ path: 'status', times: 6, fault });
      const { message } = await runOne(world);
      const task = [...world.toapis.tasks.values()][0]!;
      expect(visibleAttachments(message)[0]!.bytes.equals(task.video)).toBe(true);
      expect(world.toapis.stats.tasksCreated).toBe(1);
      expect(world.toapis.stats.submitRequests).toBe(1);
    });
  }
});

describe('the upstream loses or breaks the task', () => {
  it('404 for the task id ends with a clear failure naming the task', async () => {
    world = await startWorld({ plan: { queuedMs: 2_000 } });
    world.toapis.inject({ path: 'status', times: 50, fault: { status: 404 } });
    const { text } = await runOne(world);
    const task = [...world.toapis.tasks.values()][0]!;
    expect(text).toContain('Vidu could not generate this video');
    expect(text).toContain(task.id);
  });

  it('a video URL cut off mid-download is retried and then delivered intact', async () => {
    world = await startWorld();
    world.toapis.inject({ path: 'video', times: 2, fault: { truncateVideo: true } });
    const { message } = await runOne(world);
    const task = [...world.toapis.tasks.values()][0]!;
    expect(visibleAttachments(message)[0]!.bytes.equals(task.video)).toBe(true);
    expect(world.toapis.requests.filter((r) => r.path.startsWith('/files/videos/')).length).toBe(3);
  });

  it('a video URL that keeps failing ends in a clear failure with the task id', async () => {
    world = await startWorld();
    world.toapis.inject({ path: 'video', times: 100, fault: { status: 404 } });
    const { text, message } = await runOne(world);
    const task = [...world.toapis.tasks.values()][0]!;
    expect(text).toContain('The finished video could not be fetched');
    expect(text).toContain(task.id);
    expect(visibleAttachments(message)).toHaveLength(0);
  });

  it('a video larger than every limit is never buffered: the download stops at the limit and a link is posted', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 1);
    big.write('....ftypisom', 0);
    world = await startWorld({ plan: { video: big } });
    const raw = world.vidu({ attachmentSizeLimit: 64 * 1024 });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(0);
    expect(messageText(message)).toContain('3.0 MB, over the 64 KB upload limit');
  });
});
