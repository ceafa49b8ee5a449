import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import { button, modalSubmit, rawUser, textInputValue } from '../fakes/interactions.js';
import { pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';
import { customIds, ephemeralReply } from '../support/components.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const OTHER_USER = '1300000000000000777';

/** Runs /vidu to the end and returns the interaction and its result message. */
async function finished(w: World, raw = w.vidu()) {
  await w.discord.injectInteraction(raw);
  const message = await w.finalMessage(raw.token);
  return { raw, message };
}

/** Clicks `job:<action>:<id>` on the message, as `user` (default the requester). */
async function click(w: World, message: FakeMessage, action: string, jobId: string, opts: { userId?: string; permissions?: bigint } = {}) {
  const raw = button({
    customId: `job:${action}:${jobId}`,
    message: w.discord.wireMessage(message.id),
    ...(opts.userId ? { user: rawUser({ id: opts.userId }) } : {}),
    ...(opts.permissions !== undefined ? { memberPermissions: opts.permissions } : {}),
  });
  await w.discord.injectInteraction(raw);
  return raw;
}

function selectValue(customId: string, values: string[], id: number) {
  return { type: 18, id, component: { type: 3, id: id + 1, custom_id: customId, values } };
}

describe('buttons on a finished video', () => {
  it('every result carries Re-roll, Edit & re-run, Continue, Details and Delete', async () => {
    world = await startWorld();
    const { raw, message } = await finished(world);
    expect(customIds(message)).toEqual(['reroll', 'edit', 'continue', 'details', 'delete'].map((a) => `job:${a}:${raw.id}`));
  });

  it('Re-roll: same request, new seed, new client_business_id, uploads reused, new message linking back', async () => {
    world = await startWorld();
    const first = world.vidu({ options: { seed: 7 }, images: [world.image('a.png', pngBytes(3), 'image/png')] });
    const { message } = await finished(world, first);
    const rr = await click(world, message, 'reroll', first.id);
    const second = await world.finalMessage(rr.token);

    expect(second.id).not.toBe(message.id);
    const bodies = [...world.toapis.tasks.values()].map((t) => t.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]!.prompt).toBe(bodies[0]!.prompt);
    expect(bodies[1]!.image_urls).toEqual(bodies[0]!.image_urls);
    expect(bodies[1]!.seed).not.toBe(7);
    expect(bodies[1]!.client_business_id).toBe(`vidu-${rr.id}`);
    expect(world.toapis.uploads).toHaveLength(1);
    expect(messageText(second)).toContain(`Re-roll of https://discord.com/channels/${first.guild_id}/${first.channel_id}/${message.id}`);
    expect(visibleAttachments(second)).toHaveLength(1);
  });

  it('Re-roll still works after a restart', async () => {
    world = await startWorld();
    const { raw, message } = await finished(world);
    await world.crash();
    await world.restart();
    const rr = await click(world, message, 'reroll', raw.id);
    const second = await world.finalMessage(rr.token);
    expect(visibleAttachments(second)).toHaveLength(1);
    expect(world.toapis.stats.tasksCreated).toBe(2);
  });

  it('a button of a job the store no longer has says it has expired', async () => {
    world = await startWorld();
    const { message } = await finished(world);
    const rr = await click(world, message, 'reroll', '1111111111111111111');
    expect(await ephemeralReply(world, rr)).toMatch(/no longer stored.*expired/);
    expect(world.toapis.stats.submitRequests).toBe(1);
  });

  it('Edit & re-run: opens a pre-filled modal; submitting starts a new job with the edits', async () => {
    world = await startWorld();
    const { raw, message } = await finished(world, undefined);
    const ed = await click(world, message, 'edit', raw.id);
    const cb = await world.discord.waitFor(() => world!.discord.callbacks(ed.id).find((c) => c.status >= 200 && c.status < 300));
    expect(cb.type).toBe(9);
    const modal = cb.data as { custom_id: string; components: { component: { custom_id: string; value?: string } }[] };
    expect(modal.custom_id).toBe(`job:edit:${raw.id}`);
    expect(modal.components[0]!.component.value).toBe('A cat playing piano, camera slowly zooms in');

    const submit = modalSubmit({
      customId: `job:edit:${raw.id}`,
      components: [
        textInputValue('prompt', 'A dog playing drums'),
        selectValue('model', ['viduq3-pro'], 3),
        textInputValue('duration', '8', 5),
        selectValue('resolution', ['1080p'], 7),
      ],
    });
    await world.discord.injectInteraction(submit);
    const edited = await world.finalMessage(submit.token);
    const body = [...world.toapis.tasks.values()][1]!.body;
    expect(body).toMatchObject({ prompt: 'A dog playing drums', model: 'viduq3-pro', duration: 8, resolution: '1080p' });
    expect(messageText(edited)).toContain('Edited from');
  });

  it('Edit & re-run refuses an invalid edit with the fix, and submits nothing', async () => {
    world = await startWorld();
    const { raw } = await finished(world);
    const submit = modalSubmit({
      customId: `job:edit:${raw.id}`,
      components: [
        textInputValue('prompt', 'still text only'),
        selectValue('model', ['viduq3'], 3),
        textInputValue('duration', '5', 5),
        selectValue('resolution', ['720p'], 7),
      ],
    });
    await world.discord.injectInteraction(submit);
    expect(await ephemeralReply(world, submit)).toMatch(/viduq3 needs at least 1 reference image/);
    expect(world.toapis.stats.submitRequests).toBe(1);
  });

  it('Continue: the upstream last_frame_url becomes the first frame of a new image-to-video job', async () => {
    const frame = pngBytes(42);
    world = await startWorld({ plan: { lastFrame: frame } });
    const { raw, message } = await finished(world);
    const cont = await click(world, message, 'continue', raw.id);
    const next = await world.finalMessage(cont.token);
    expect(world.toapis.uploads).toHaveLength(1);
    expect(world.toapis.uploads[0]!.bytes.equals(frame)).toBe(true);
    const body = [...world.toapis.tasks.values()][1]!.body;
    expect(body.image_urls).toEqual([world.toapis.uploads[0]!.url]);
    expect(messageText(next)).toContain('image-to-video');
    expect(messageText(next)).toContain('Continues');
  });

  const hasFfmpeg = (() => {
    try {
      execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasFfmpeg)('Continue without last_frame_url: the last frame is extracted with ffmpeg', async () => {
    const mp4 = execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'color=c=red:s=64x48:d=1:r=5',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        'frag_keyframe+empty_moov',
        '-f',
        'mp4',
        'pipe:1',
      ],
      {
        maxBuffer: 10 * 1024 * 1024,
      },
    );
    world = await startWorld({ plan: { video: mp4 } });
    const { raw, message } = await finished(world);
    const cont = await click(world, message, 'continue', raw.id);
    await world.finalMessage(cont.token);
    expect(world.toapis.uploads).toHaveLength(1);
    const upload = world.toapis.uploads[0]!;
    expect(upload.mimeType).toBe('image/png');
    // A 64×48 PNG: width and height from the IHDR chunk.
    expect(upload.bytes.readUInt32BE(16)).toBe(64);
    expect(upload.bytes.readUInt32BE(20)).toBe(48);
  });

  it('Details: an ephemeral summary with the task id and a /vidu line that reproduces it', async () => {
    world = await startWorld();
    const first = world.vidu({ options: { model: 'viduq3-pro', duration: 6, seed: 99, aspect_ratio: '9:16' } });
    const { message } = await finished(world, first);
    const d = await click(world, message, 'details', first.id);
    const content = await ephemeralReply(world, d);
    const task = [...world.toapis.tasks.values()][0]!;
    expect(content).toContain(task.id);
    expect(content).toContain(
      '/vidu prompt:"A cat playing piano, camera slowly zooms in" model:viduq3-pro duration:6 resolution:720p aspect_ratio:9:16 audio:true seed:99',
    );
  });

  it('Delete: the requester can; another member cannot; a member with Manage Messages can', async () => {
    world = await startWorld();
    const a = await finished(world);
    const denied = await click(world, a.message, 'delete', a.raw.id, { userId: OTHER_USER, permissions: 0n });
    expect(await ephemeralReply(world, denied)).toMatch(/Only <@\d+> or a member with Manage Messages/);
    expect(world.discord.messages.get(a.message.id)!.deleted).toBe(false);

    await click(world, a.message, 'delete', a.raw.id);
    await world.discord.waitFor(() => world!.discord.messages.get(a.message.id)!.deleted || undefined);

    const b = await finished(world, world.vidu({ prompt: 'second' }));
    await click(world, b.message, 'delete', b.raw.id, { userId: OTHER_USER, permissions: 1n << 13n });
    await world.discord.waitFor(() => world!.discord.messages.get(b.message.id)!.deleted || undefined);
  });
});
