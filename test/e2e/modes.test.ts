import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { jpegBytes, pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

/** Runs one /vidu to its final message and returns what the test needs to assert on. */
async function run(raw: ReturnType<World['vidu']>) {
  await world.discord.injectInteraction(raw);
  const message = await world.finalMessage(raw.token);
  const task = [...world.toapis.tasks.values()].find((t) => t.clientBusinessId === `vidu-${raw.id}`);
  return { message, task };
}

describe('/vidu end to end, one test per mode', () => {
  it('text-to-video: defers at once, submits once, and the reply becomes the identical mp4', async () => {
    const raw = world.vidu({ options: { model: 'viduq3-pro', duration: 4, resolution: '1080p', aspect_ratio: '9:16', seed: 42, audio: false } });
    const { message, task } = await run(raw);

    const callbacks = world.discord.callbacks(raw.id);
    expect(callbacks.map((c) => c.type)).toEqual([5]);
    expect(task?.body).toMatchObject({
      model: 'viduq3-pro',
      prompt: 'A cat playing piano, camera slowly zooms in',
      duration: 4,
      resolution: '1080p',
      aspect_ratio: '9:16',
      audio: false,
      seed: 42,
      client_business_id: `vidu-${raw.id}`,
    });
    expect(task?.body).not.toHaveProperty('image_urls');
    expect(world.toapis.stats.tasksCreated).toBe(1);

    const files = visibleAttachments(message);
    expect(files).toHaveLength(1);
    expect(files[0]!.filename).toBe(`vidu-${raw.id}.mp4`);
    expect(files[0]!.bytes.equals(task!.video)).toBe(true);
    expect(message.flags & (1 << 15)).toBe(1 << 15);
    const text = messageText(message);
    expect(text).toContain('viduq3-pro · text-to-video · 4 s · 1080p · 9:16 · silent · seed 42');
    expect(text).toContain(`<@${(raw.member!.user as { id: string }).id}>`);
  });

  it('image-to-video: the attachment is downloaded, re-uploaded, and aspect_ratio is not sent', async () => {
    const png = pngBytes(1);
    const raw = world.vidu({ options: { model: 'viduq3-turbo', aspect_ratio: '16:9' }, images: [world.image('first.png', png, 'image/png')] });
    const { message, task } = await run(raw);

    expect(world.toapis.uploads).toHaveLength(1);
    expect(world.toapis.uploads[0]!.bytes.equals(png)).toBe(true);
    expect(task?.body).toMatchObject({ model: 'viduq3-turbo', image_urls: [world.toapis.uploads[0]!.url] });
    expect(task?.body).not.toHaveProperty('aspect_ratio');
    expect(messageText(message)).toContain('image-to-video');
    expect(messageText(message)).toContain('ratio from image');
    expect(visibleAttachments(message)[0]!.bytes.equals(task!.video)).toBe(true);
  });

  it('first and last frame: two images go up in attachment order', async () => {
    const first = pngBytes(1);
    const last = jpegBytes(300);
    const raw = world.vidu({ images: [world.image('start.png', first, 'image/png'), world.image('end.jpg', last, 'image/jpeg')] });
    const { message, task } = await run(raw);

    const urls = world.toapis.uploads.map((u) => u.url);
    expect(world.toapis.uploads.map((u) => u.bytes.equals(first) || u.bytes.equals(last))).toEqual([true, true]);
    expect(world.toapis.uploads[0]!.bytes.equals(first)).toBe(true);
    expect(task?.body.image_urls).toEqual(urls);
    expect(messageText(message)).toContain('first & last frame');
    expect(visibleAttachments(message)[0]!.bytes.equals(task!.video)).toBe(true);
  });

  it('multi-reference: viduq3 with three images', async () => {
    const imgs = [1, 2, 3].map((n) => world.image(`ref${n}.png`, pngBytes(n), 'image/png'));
    const raw = world.vidu({ options: { model: 'viduq3', aspect_ratio: '1:1' }, images: imgs });
    const { message, task } = await run(raw);

    expect(task?.body).toMatchObject({ model: 'viduq3', aspect_ratio: '1:1' });
    expect(task?.body.image_urls).toEqual(world.toapis.uploads.map((u) => u.url));
    expect(task?.body.image_urls).toHaveLength(3);
    expect(task?.body).not.toHaveProperty('metadata');
    expect(messageText(message)).toContain('multi-reference');
    expect(visibleAttachments(message)[0]!.bytes.equals(task!.video)).toBe(true);
  });

  it('subjects: @cat and @dog use the images named after them; others stay references', async () => {
    const imgs = [
      world.image('cat.png', pngBytes(1), 'image/png'),
      world.image('dog.png', pngBytes(2), 'image/png'),
      world.image('cat-2.png', pngBytes(3), 'image/png'),
      world.image('garden.png', pngBytes(4), 'image/png'),
    ];
    const raw = world.vidu({ prompt: '@cat chases @dog around the garden', options: { model: 'viduq3' }, images: imgs });
    const { message, task } = await run(raw);

    const urlOf = (bytes: Buffer) => world.toapis.uploads.find((u) => u.bytes.equals(bytes))!.url;
    expect(task?.body.image_urls).toHaveLength(4);
    expect(task?.body.metadata).toEqual({
      subjects: [
        { name: 'cat', images: [urlOf(pngBytes(1)), urlOf(pngBytes(3))] },
        { name: 'dog', images: [urlOf(pngBytes(2))] },
      ],
    });
    expect(messageText(message)).toContain('subjects @cat @dog');
    expect(visibleAttachments(message)[0]!.bytes.equals(task!.video)).toBe(true);
  });
});
