import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNamespaces } from '../../src/store/keyv.js';
import { pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});

/** Sends the interaction and returns the immediate reply (callback type 4). */
async function refusal(raw: ReturnType<World['vidu']>) {
  await world.discord.injectInteraction(raw);
  const cb = await world.discord.waitFor(() => world.discord.callbacks(raw.id).find((c) => c.status !== 0));
  return cb;
}

describe('bad input is refused at once, ephemeral, naming the fix, and nothing reaches toapis', () => {
  const png = () => world.image('a.png', pngBytes(1), 'image/png');
  const cases: [string, () => ReturnType<World['vidu']>, RegExp][] = [
    ['viduq3 without an image', () => world.vidu({ options: { model: 'viduq3' } }), /viduq3 needs at least 1 reference image/i],
    ['3 images on viduq3-pro', () => world.vidu({ options: { model: 'viduq3-pro' }, images: [png(), png(), png()] }), /viduq3-pro.*(at most|up to) 2/i],
    ['3 images on viduq3-turbo', () => world.vidu({ options: { model: 'viduq3-turbo' }, images: [png(), png(), png()] }), /viduq3-turbo.*(at most|up to) 2/i],
    ['duration 17 on pro', () => world.vidu({ options: { model: 'viduq3-pro', duration: 17 } }), /1.16/],
    ['duration 2 on viduq3', () => world.vidu({ options: { model: 'viduq3', duration: 2 }, images: [png()] }), /3.16/],
    ['a prompt of 5001 characters', () => world.vidu({ prompt: 'x'.repeat(5001) }), /5000/],
    ['a prompt that is only spaces', () => world.vidu({ prompt: '    ' }), /prompt/i],
    // Looks like text to a validator counting characters; shows as nothing (issue 9).
    ['a prompt of zero-width spaces and bidi marks', () => world.vidu({ prompt: '\u200b\u200b\u202e\u2066\ufeff' }), /prompt/i],
    ['a prompt of control characters and Braille blanks', () => world.vidu({ prompt: '\u0007\u0000\u2800\u3164' }), /prompt/i],
    ['an aspect ratio that is not W:H', () => world.vidu({ options: { aspect_ratio: 'wide' } }), /16:9|W:H/],
    ['an attachment over 10 MB', () => world.vidu({ images: [{ ...png(), size: 10 * 1024 * 1024 + 1 }] }), /10 ?MB/],
    [
      'an unknown @name, listing the attached names',
      () => world.vidu({ prompt: '@bird flies', options: { model: 'viduq3' }, images: [world.image('cat.png', pngBytes(2), 'image/png')] }),
      /bird.*cat|cat.*bird/is,
    ],
  ];

  for (const [name, make, expected] of cases) {
    it(name, async () => {
      const before = world.toapis.requests.length;
      const raw = make();
      const cb = await refusal(raw);
      expect(cb.type).toBe(4);
      const data = cb.data as { content: string; flags: number };
      expect(data.flags & 64).toBe(64);
      expect(data.content).toMatch(expected);
      expect(data.content.length).toBeLessThanOrEqual(2000);
      expect(world.toapis.requests.length).toBe(before);
      expect(world.discord.callbacks(raw.id)).toHaveLength(1);
    });
  }
});

describe('bytes are checked after download', () => {
  it('an attachment named .png that is really a PDF is refused; nothing is uploaded or submitted', async () => {
    const before = { requests: world.toapis.requests.length };
    const fake = world.image('photo.png', Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'));
    const raw = world.vidu({ images: [fake] });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(messageText(message)).toMatch(/photo\.png/);
    expect(messageText(message)).toMatch(/not .*image|JPEG|PNG/i);
    expect(world.toapis.requests.length).toBe(before.requests);
  });

  it('an attachment whose Discord URL has expired ends with a clear message, nothing submitted', async () => {
    const before = world.toapis.stats.submitRequests;
    const img = world.image('gone.png', pngBytes(9), 'image/png');
    world.discord.expireAttachment(img.id);
    const raw = world.vidu({ images: [img] });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(messageText(message)).toContain('Your images could not be read');
    expect(world.toapis.stats.submitRequests).toBe(before);
  });
});

/** Every row of the world's SQLite store, key and stored length in characters, largest first. */
async function storedRows(): Promise<{ key: string; chars: number }[]> {
  const ns = openNamespaces({ kind: 'sqlite', file: world.env.STORE_URL.slice('sqlite://'.length) });
  try {
    const adapter = ns.meta.store as { query(sql: string): Promise<{ key: string; chars: number }[]> };
    return await adapter.query('SELECT key, length(value) AS chars FROM keyv ORDER BY chars DESC');
  } finally {
    await Promise.all(Object.values(ns).map((k) => k.disconnect()));
  }
}

describe('a job refused by the byte checks leaves no large record', () => {
  it('declared over 10 MB: refused before anything is stored (no job record, no pending entry)', async () => {
    const raw = world.vidu({ prompt: 'too big to store', images: [{ ...world.image('big.png', pngBytes(3), 'image/png'), size: 10 * 1024 * 1024 + 1 }] });
    const cb = await refusal(raw);
    expect((cb.data as { content: string }).content).toMatch(/10 ?MB/);
    const keys = (await storedRows()).map((r) => r.key);
    expect(keys.filter((k) => k.includes(raw.id))).toEqual([]);
  });

  it('declared small but really 11 MB: the download stops at 10 MB, the job fails, and its record holds no image bytes', async () => {
    const before = world.toapis.requests.length;
    const huge = Buffer.concat([pngBytes(4), Buffer.alloc(11 * 1024 * 1024, 7)]);
    const raw = world.vidu({ prompt: 'lies about its size', images: [{ ...world.image('liar.png', huge, 'image/png'), size: 2048 }] });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(messageText(message)).toMatch(/liar\.png/);
    expect(messageText(message)).toMatch(/10 ?MB/);
    expect(world.toapis.requests.length).toBe(before);
    const rows = await storedRows();
    // The job's record is there (a failure to show), and small: references only, never bytes.
    const record = rows.find((r) => r.key === `task:${raw.id}`);
    expect(record).toBeDefined();
    expect(record!.chars).toBeLessThan(16 * 1024);
    // Nothing in the whole store is anywhere near the image's size.
    expect(rows[0]!.chars).toBeLessThan(64 * 1024);
  });
});

describe('duplicates and limits', () => {
  it('a duplicated INTERACTION_CREATE makes one job', async () => {
    const before = world.toapis.stats.tasksCreated;
    const raw = world.vidu({ prompt: 'duplicated' });
    await world.discord.injectInteraction(raw);
    // The same event again, as a gateway replay would deliver it.
    await world.discord.dispatch('INTERACTION_CREATE', raw);
    await world.finalMessage(raw.token);
    expect(world.toapis.stats.tasksCreated).toBe(before + 1);
    expect(world.discord.callbacks(raw.id).filter((c) => c.status === 200)).toHaveLength(1);
  });

  it('a member over the in-flight limit is told to wait; nothing is submitted', async () => {
    const w = await startWorld({ plan: { queuedMs: 2_000, runMs: 2_000 }, env: { VIDU_USER_MAX_IN_FLIGHT: '1' } });
    try {
      const first = w.vidu({ prompt: 'first' });
      await w.discord.injectInteraction(first);
      await w.discord.waitFor(() => w.toapis.stats.tasksCreated === 1 || undefined);
      const second = w.vidu({ prompt: 'second' });
      await w.discord.injectInteraction(second);
      const cb = await w.discord.waitFor(() => w.discord.callbacks(second.id).find((c) => c.status !== 0));
      expect((cb.data as { content: string }).content).toMatch(/already have 1 video in progress/);
      expect((cb.data as { flags: number }).flags & 64).toBe(64);
      expect(w.toapis.stats.submitRequests).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('a member over the per-minute limit is told when to retry', async () => {
    const w = await startWorld({ env: { VIDU_USER_SUBMITS_PER_MINUTE: '1' } });
    try {
      const first = w.vidu({ prompt: 'first' });
      await w.discord.injectInteraction(first);
      await w.finalMessage(first.token);
      const second = w.vidu({ prompt: 'second' });
      await w.discord.injectInteraction(second);
      const cb = await w.discord.waitFor(() => w.discord.callbacks(second.id).find((c) => c.status !== 0));
      expect((cb.data as { content: string }).content).toMatch(/1 video per minute.*<t:\d+:R>/);
      expect(w.toapis.stats.submitRequests).toBe(1);
    } finally {
      await w.close();
    }
  });
});
