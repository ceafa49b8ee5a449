import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { messageContextMenu, modalSubmit, rawMessage, textInputValue, type RawInteraction } from '../fakes/interactions.js';
import { pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function select(customId: string, value: string, id: number) {
  return { type: 18, id, component: { type: 3, id: id + 1, custom_id: customId, values: [value] } };
}

/** Right-clicks a message holding `count` PNGs (plus a text file that must be ignored). */
async function rightClick(w: World, count: number) {
  const images = Array.from({ length: count }, (_, i) => w.image(`pic${i + 1}.png`, pngBytes(100 + i), 'image/png'));
  const notes = w.image('notes.txt', Buffer.from('not an image'), 'text/plain');
  const target = rawMessage({ content: 'look at these', attachments: [...images, notes] });
  const raw = messageContextMenu({ name: 'Animate with Vidu', targetMessage: target });
  await w.discord.injectInteraction(raw);
  const cb = await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
  return { raw, cb, target, images };
}

async function submit(w: World, ctxRaw: RawInteraction, model: string, prompt = 'make it move') {
  const raw = modalSubmit({
    customId: `animate:go:${ctxRaw.id}`,
    components: [textInputValue('prompt', prompt), select('model', model, 3), textInputValue('duration', '4', 5)],
  });
  await w.discord.injectInteraction(raw);
  return raw;
}

describe('Animate with Vidu (message context menu)', () => {
  it('a message without images gets a clear ephemeral answer and no modal', async () => {
    world = await startWorld();
    const { cb } = await rightClick(world, 0);
    expect(cb.type).toBe(4);
    expect((cb.data as { content: string; flags: number }).content).toMatch(/no images to animate/);
    expect((cb.data as { flags: number }).flags & 64).toBe(64);
  });

  it('one image: a modal opens; submitting animates it (image-to-video), linked to the message', async () => {
    world = await startWorld();
    const { raw, cb, target } = await rightClick(world, 1);
    expect(cb.type).toBe(9);
    expect((cb.data as { title: string }).title).toBe('Animate this image with Vidu');
    const sub = await submit(world, raw, 'viduq3-turbo');
    const message = await world.finalMessage(sub.token);
    expect(world.toapis.uploads.map((u) => u.bytes.equals(pngBytes(100)))).toEqual([true]);
    const body = [...world.toapis.tasks.values()][0]!.body;
    expect(body).toMatchObject({ model: 'viduq3-turbo', prompt: 'make it move', duration: 4, image_urls: [world.toapis.uploads[0]!.url] });
    expect(messageText(message)).toContain('image-to-video');
    expect(messageText(message)).toContain(`Animated from https://discord.com/channels/${String(target.guild_id)}/${target.channel_id}/${target.id}`);
    expect(visibleAttachments(message)).toHaveLength(1);
  });

  it('two images: first and last frame, in order', async () => {
    world = await startWorld();
    const { raw } = await rightClick(world, 2);
    const sub = await submit(world, raw, 'viduq3-pro');
    const message = await world.finalMessage(sub.token);
    expect(world.toapis.uploads.map((u) => u.bytes)).toEqual([pngBytes(100), pngBytes(101)]);
    expect(messageText(message)).toContain('first & last frame');
  });

  it('three images: pro/turbo animate the first; viduq3 uses all three as references', async () => {
    world = await startWorld();
    const a = await rightClick(world, 3);
    await world.finalMessage((await submit(world, a.raw, 'viduq3-turbo')).token);
    expect(world.toapis.uploads).toHaveLength(1);

    const b = await rightClick(world, 3);
    const message = await world.finalMessage((await submit(world, b.raw, 'viduq3')).token);
    expect(world.toapis.uploads).toHaveLength(4);
    expect(messageText(message)).toContain('multi-reference');
    expect([...world.toapis.tasks.values()][1]!.body.image_urls).toHaveLength(3);
  });

  it('an invalid submit (duration 20) is refused with the fix and nothing is submitted', async () => {
    world = await startWorld();
    const { raw } = await rightClick(world, 1);
    const sub = modalSubmit({
      customId: `animate:go:${raw.id}`,
      components: [textInputValue('prompt', 'x'), select('model', 'viduq3-pro', 3), textInputValue('duration', '20', 5)],
    });
    await world.discord.injectInteraction(sub);
    const cb = await world.discord.waitFor(() => world!.discord.callbacks(sub.id).find((c) => c.status >= 200 && c.status < 300));
    expect((cb.data as { content: string }).content).toMatch(/1.16/);
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('a submit after a restart still finds the images (kept in the store)', async () => {
    world = await startWorld();
    const { raw } = await rightClick(world, 1);
    // The images are written to the store right after the modal is shown.
    await new Promise((r) => setTimeout(r, 200));
    await world.crash();
    await world.restart();
    const sub = await submit(world, raw, 'viduq3-turbo');
    const message = await world.finalMessage(sub.token);
    expect(visibleAttachments(message)).toHaveLength(1);
  });
});
