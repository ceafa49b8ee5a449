import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import { isFaststart, makeClip, probeFile } from '../support/videos.js';
import { messageText, startWorld, type World } from './world.js';

/**
 * Issue 11: every video plays inline. Real mp4s made by ffmpeg, a real bot over the fake
 * Discord (which refuses uploads over the limit with 413/40005, like Discord).
 */
const MiB = 1024 * 1024;
let world: World | undefined;
let dir: string;
let big: Buffer;
let bigDurationS: number;
let small: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-fit-e2e-'));
  // Short and low-fps (the machine is shared) but 1080p with noise: ~19 MB, over 10 MiB.
  await makeClip(join(dir, 'big.mp4'), { durationS: 2, fps: 8, noise: 8, qp: 14 });
  await makeClip(join(dir, 'small.mp4'), { width: 640, height: 360, durationS: 1, fps: 6 });
  big = await readFile(join(dir, 'big.mp4'));
  small = await readFile(join(dir, 'small.mp4'));
  bigDurationS = (await probeFile(join(dir, 'big.mp4'))).durationS;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every file the bot tried to upload (whatever Discord answered), and what Discord answered. */
function uploads(w: World) {
  return w.discord.calls.filter((c) => c.files.length > 0).map((c) => ({ sizes: c.files.map((f) => f.size), status: c.status }));
}

async function attachedFile(message: FakeMessage, name: string): Promise<string> {
  const [attachment] = visibleAttachments(message);
  expect(attachment).toBeDefined();
  const path = join(dir, name);
  await writeFile(path, attachment!.bytes);
  return path;
}

describe('a video over the upload limit is re-encoded to fit', () => {
  for (const limit of [1 * MiB, 10 * MiB]) {
    it(`into ${limit / MiB} MiB: attached, H.264/yuv420p + AAC, same duration, faststart; the card says so`, async () => {
      expect(big.length).toBeGreaterThan(limit);
      world = await startWorld({ plan: { video: big } });
      const raw = world.vidu({ attachmentSizeLimit: limit });
      await world.discord.injectInteraction(raw);
      const message = await world.finalMessage(raw.token, 240_000);
      const path = await attachedFile(message, `delivered-${limit}.mp4`);
      const bytes = (await readFile(path)).length;
      expect(bytes).toBeLessThanOrEqual(limit);
      const probed = await probeFile(path);
      expect(probed.video).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p' });
      expect(probed.audio?.codec).toBe('aac');
      expect(Math.abs(probed.durationS - bigDurationS)).toBeLessThanOrEqual(0.35);
      expect(await isFaststart(path)).toBe(true);
      // Never an upload over the limit, so never a 413 to fall back from.
      const tried = uploads(world);
      expect(tried.length).toBeGreaterThan(0);
      for (const u of tried) {
        expect(Math.max(...u.sizes)).toBeLessThanOrEqual(limit);
        expect(u.status).not.toBe(413);
      }
      const text = messageText(message);
      // The card's units: MB (MiB) with one decimal from 1 MiB, whole KB below.
      const mb = (n: number) => (n >= MiB ? `${(n / MiB).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);
      // A guild: the interaction's limit is the server's (its boost tier).
      expect(text).toContain(`Compressed to fit this server’s upload limit (${mb(big.length)} → ${mb(bytes)}).`);
      expect(text).toMatch(/The original stays available until <t:\d+:f>/);
      const task = [...world.toapis.tasks.values()][0]!;
      expect(JSON.stringify(message.components)).toContain(`${world.toapis.url}/files/videos/${task.id}.mp4`);
      // The staged original and the re-encode are gone from the bot's temp dir.
      await world.delivered(raw.id);
      expect((await readdir(join(tmpdir(), 'vidu-bot'))).filter((n) => n.startsWith(`${raw.id}.`))).toEqual([]);
    }, 300_000);
  }

  it('a video that fits is posted byte-for-byte, never re-encoded', async () => {
    world = await startWorld({ plan: { video: small } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token, 60_000);
    const [attachment] = visibleAttachments(message);
    expect(Buffer.compare(attachment!.bytes, small)).toBe(0);
    expect(messageText(message)).not.toContain('Compressed');
    expect(world.logs.join('')).not.toContain('re-encoded');
  }, 90_000);

  it('a video that cannot reasonably fit is linked, with no upload attempted', async () => {
    world = await startWorld({ plan: { video: big } });
    const raw = world.vidu({ attachmentSizeLimit: 40_000 });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token, 60_000);
    expect(visibleAttachments(message)).toHaveLength(0);
    const text = messageText(message);
    expect(text).toContain('over the 40 KB upload limit');
    expect(text).toContain('Open video');
    expect(uploads(world)).toEqual([]);
  }, 90_000);

  it('a file ffmpeg cannot read is linked (not failed), and nothing over the limit is uploaded', async () => {
    const junk = Buffer.concat([Buffer.from('....ftypisom'), Buffer.alloc(300_000, 7)]);
    world = await startWorld({ plan: { video: junk } });
    const raw = world.vidu({ attachmentSizeLimit: 100_000 });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token, 60_000);
    expect(visibleAttachments(message)).toHaveLength(0);
    expect(messageText(message)).toContain('over the 98 KB upload limit');
    expect(uploads(world)).toEqual([]);
  }, 90_000);
});
