import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { autocomplete, fileUploadValue, modalSubmit, rawUser, slashCommand, type RawAttachment, type RawInteraction } from '../fakes/interactions.js';
import { sniffImage } from '../../src/generation/images.js';
import { makeImage, pngBytes } from '../support/images.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const OTHER_USER = '1300000000000000777';

type Who = { userId?: string };
const who = (opts: Who) => (opts.userId ? { user: rawUser({ id: opts.userId }) } : {});

/** `/vidu-subjects <sub> [name:<name>]`. */
function subjects(sub: string, name?: string, opts: Who = {}): RawInteraction {
  const options = name === undefined ? [] : [{ name: 'name', type: 3, value: name }];
  return slashCommand({ name: 'vidu-subjects', options: [{ name: sub, type: 1, options }], ...who(opts) });
}

/** The first accepted callback of an interaction. */
async function callback(w: World, raw: RawInteraction) {
  return w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
}

/**
 * What the member reads in an ephemeral answer: the immediate reply (type 4), or the deferred
 * (type 5) reply once edited. Asserts it is ephemeral.
 */
async function ephemeralText(w: World, raw: RawInteraction): Promise<string> {
  const cb = await callback(w, raw);
  if (cb.type === 4) {
    const data = cb.data as { content: string; flags: number };
    expect(data.flags & 64).toBe(64);
    return data.content;
  }
  expect(cb.type).toBe(5);
  const message = await w.discord.waitFor(() => {
    const m = w.discord.originalMessage(raw.token);
    return m && !m.loading ? m : undefined;
  });
  expect(message.ephemeral).toBe(true);
  return messageText(message);
}

/** Runs `/vidu-subjects add name:<name>` and returns the modal callback. */
async function openAdd(w: World, name: string, opts: Who = {}) {
  const raw = subjects('add', name, opts);
  await w.discord.injectInteraction(raw);
  return { raw, cb: await callback(w, raw) };
}

/** Submits the Save subject modal with these uploads and returns what the member reads. */
async function submitAdd(w: World, name: string, files: RawAttachment[], opts: Who = {}): Promise<string> {
  const raw = modalSubmit({ customId: `subjects:add:${name}`, components: [fileUploadValue('images', files)], ...who(opts) });
  await w.discord.injectInteraction(raw);
  return ephemeralText(w, raw);
}

/** add → modal → submit. */
async function save(w: World, name: string, files: RawAttachment[], opts: Who = {}): Promise<string> {
  const { cb } = await openAdd(w, name, opts);
  expect(cb.type).toBe(9);
  return submitAdd(w, name, files, opts);
}

async function listText(w: World, opts: Who = {}): Promise<string> {
  const raw = subjects('list', undefined, opts);
  await w.discord.injectInteraction(raw);
  return ephemeralText(w, raw);
}

const png = (w: World, filename: string, seed: number) => w.image(filename, pngBytes(seed), 'image/png');

describe('/vidu-subjects: a per-member library of @subjects', () => {
  it('add opens a modal with a File Upload for 1–3 images; the images are stored, listed, and used by /vidu after Discord’s URLs die', async () => {
    world = await startWorld();
    const { cb } = await openAdd(world, 'cat');
    expect(cb.type).toBe(9);
    const modal = cb.data as { custom_id: string; title: string; components: { type: number; label: string; component: Record<string, unknown> }[] };
    expect(modal.custom_id).toBe('subjects:add:cat');
    expect(modal.title).toBe('Save subject @cat');
    expect(modal.components).toHaveLength(1);
    expect(modal.components[0]!.type).toBe(18);
    expect(modal.components[0]!.label).toBe('Images of @cat');
    expect(modal.components[0]!.component).toMatchObject({ type: 19, custom_id: 'images', min_values: 1, max_values: 3, required: true });

    // A 2400×1600 photo (about 8 MB as PNG) and a JPEG: stored shrunk, not as they came.
    const photo = await makeImage(2400, 1600, 'png');
    const first = world.image('IMG_0001.png', photo, 'image/png');
    const second = world.image('IMG_0002.jpg', await makeImage(800, 600, 'jpg'), 'image/jpeg');
    expect(await submitAdd(world, 'cat', [first, second])).toContain('Saved **@cat** (2 images) — 1 of 10 subjects saved.');
    const list = await listText(world);
    expect(list).toMatch(/\*\*Your saved subjects\*\* \(1 of 10\)\n• `@cat` — 2 images, saved <t:\d+:R>/);
    expect(list).toMatch(/\d+ KB of 6 MB used · images are stored at up to 1280 px · a subject unused for 90 days expires/);

    // Discord drops modal uploads after a while; the library keeps the (shrunk) bytes.
    world.discord.expireAttachment(first.id);
    world.discord.expireAttachment(second.id);
    const raw = world.vidu({ prompt: '@cat plays the piano', options: { model: 'viduq3' } });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);

    expect(world.toapis.uploads.map((u) => u.mimeType)).toEqual(['image/jpeg', 'image/jpeg']);
    for (const u of world.toapis.uploads) {
      expect(sniffImage(u.bytes)).toBe('image/jpeg');
      expect(u.bytes.length).toBeLessThan(512 * 1024);
    }
    expect(world.toapis.uploads[0]!.bytes.length).toBeLessThan(photo.length / 10);
    const urls = world.toapis.uploads.map((u) => u.url);
    const body = [...world.toapis.tasks.values()][0]!.body;
    expect(body).toMatchObject({ model: 'viduq3', prompt: '@cat plays the piano', image_urls: urls, metadata: { subjects: [{ name: 'cat', images: urls }] } });
    expect(messageText(message)).toContain('subjects @cat');
    expect(world.toapis.stats.submitRequests).toBe(1);
  });

  it('attachments win over the library; the library fills in the @names nothing attached stands for', async () => {
    world = await startWorld();
    await save(world, 'cat', [png(world, 'saved-cat.png', 1)]);
    await save(world, 'Dog', [png(world, 'saved-dog.png', 2), png(world, 'saved-dog2.png', 3)]);

    const raw = world.vidu({ prompt: '@cat chases @dog', options: { model: 'viduq3' }, images: [png(world, 'cat.png', 9)] });
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);

    // The attached cat.png as it is, then the saved Dog's two (stored shrunk, as JPEG); the saved cat is not used.
    expect(world.toapis.uploads[0]!.bytes).toEqual(pngBytes(9));
    expect(world.toapis.uploads.map((u) => u.mimeType)).toEqual(['image/png', 'image/jpeg', 'image/jpeg']);
    const [u0, u1, u2] = world.toapis.uploads.map((u) => u.url);
    const body = [...world.toapis.tasks.values()][0]!.body;
    expect(body.image_urls).toEqual([u0, u1, u2]);
    expect(body.metadata).toEqual({
      subjects: [
        { name: 'cat', images: [u0] },
        { name: 'dog', images: [u1, u2] },
      ],
    });
  });

  it('an unknown @name is refused listing the attached and the saved names; nothing is submitted', async () => {
    world = await startWorld();
    await save(world, 'cat', [png(world, 'a.png', 1)]);
    const raw = world.vidu({ prompt: '@cat meets @zebra', options: { model: 'viduq3' }, images: [png(world, 'tree.png', 5)] });
    await world.discord.injectInteraction(raw);
    const text = await ephemeralText(world, raw);
    expect(text).toContain('No attached image matches `@zebra`.');
    expect(text).toContain('Attached: `tree`.');
    expect(text).toContain('Your saved subjects: `cat`.');
    expect(world.toapis.stats.submitRequests).toBe(0);
    expect(world.toapis.stats.uploadRequests).toBe(0);

    // Another member's library is not theirs to use.
    const other = world.vidu({ prompt: '@cat sleeps', options: { model: 'viduq3' }, images: [png(world, 'tree.png', 5)], user: rawUser({ id: OTHER_USER }) });
    await world.discord.injectInteraction(other);
    const otherText = await ephemeralText(world, other);
    expect(otherText).toContain('No attached image matches `@cat`.');
    expect(otherText).toContain('You have no saved subjects (save one with `/vidu-subjects add`).');
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('a library subject is only looked up for viduq3: on turbo the @name stays plain text', async () => {
    world = await startWorld();
    await save(world, 'cat', [png(world, 'a.png', 1)]);
    const raw = world.vidu({ prompt: '@cat on a sofa', options: { model: 'viduq3-turbo' } });
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    expect(world.toapis.uploads).toHaveLength(0);
    expect([...world.toapis.tasks.values()][0]!.body).not.toHaveProperty('image_urls');
  });

  it('the 11th subject is refused naming the cap and how to delete; replacing one is not a new subject', async () => {
    world = await startWorld({ env: { VIDU_SUBJECT_SAVES_PER_HOUR: '50' } });
    for (let i = 1; i <= 9; i++) await save(world, `s${i}`, [png(world, 'x.png', i)]);
    // A form opened at 9 subjects, submitted after a 10th was saved elsewhere: refused at submit.
    const late = await openAdd(world, 'late');
    expect(late.cb.type).toBe(9);
    expect(await save(world, 's10', [png(world, 'x.png', 10)])).toContain('10 of 10 subjects saved');
    const refusedLate = await submitAdd(world, 'late', [png(world, 'y.png', 50)]);
    expect(refusedLate).toContain('You already have 10 saved subjects, the most one member can keep');
    expect(refusedLate).toContain('Delete one with `/vidu-subjects remove name:`');

    const eleventh = await openAdd(world, 'eleven');
    expect(eleventh.cb.type).toBe(4); // refused at once: no form to fill in for nothing
    const data = eleventh.cb.data as { content: string; flags: number };
    expect(data.flags & 64).toBe(64);
    expect(data.content).toContain('You already have 10 saved subjects');
    expect(data.content).toContain('`s1`, `s2`');
    expect(data.content).toContain('/vidu-subjects remove name:');

    expect(await save(world, 'S3', [png(world, 'z.png', 33)])).toContain('Replaced **@S3** (1 image) — 10 of 10 subjects saved.');
    const list = await listText(world);
    expect(list).toContain('(10 of 10)');
    expect(list).not.toContain('`@s3`');
    expect(list).not.toContain('eleven');
    expect(list).not.toContain('late');
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('bad names and bad files get a clear answer and nothing is saved or submitted', async () => {
    world = await startWorld();
    for (const [name, expected] of [
      ['my cat', 'Subject names may only use letters, digits, `_` and `-` (no spaces)'],
      ['a'.repeat(33), 'The name is 33 characters long; subject names take at most 32.'],
    ] as const) {
      const { raw, cb } = await openAdd(world, name);
      expect(cb.type).toBe(4);
      expect(await ephemeralText(world, raw)).toContain(expected);
    }

    const fakePng = world.image('notes.png', Buffer.from('just some text, not a picture'), 'image/png');
    expect(await save(world, 'cat', [fakePng])).toContain('`notes.png` is not a JPEG, PNG, WebP or GIF image.');

    const big = world.image('huge.png', Buffer.concat([pngBytes(1), Buffer.alloc(10 * 1024 * 1024)]), 'image/png');
    const tooBig = await save(world, 'cat', [png(world, 'ok.png', 1), big]);
    expect(tooBig).toContain('`huge.png` is 10.1 MB, but saved subject images can be at most 10 MB each.');

    // A real PNG header declaring 20000×20000 pixels: refused from the header, never decoded.
    const bomb = Buffer.from(pngBytes(1));
    bomb.writeUInt32BE(20_000, 16);
    bomb.writeUInt32BE(20_000, 20);
    expect(await save(world, 'cat', [world.image('bomb.png', bomb, 'image/png')])).toContain(
      '`bomb.png` is 20000×20000 pixels; saved subject images can be at most 40 megapixels.',
    );
    const broken = Buffer.concat([pngBytes(1).subarray(0, 33), Buffer.from('the rest is not a picture')]);
    expect(await save(world, 'cat', [world.image('broken.png', broken, 'image/png')])).toContain('`broken.png` could not be read as a picture.');

    const pdf = world.image('doc.pdf', Buffer.from('%PDF-1.7'), 'application/pdf');
    expect(await save(world, 'cat', [pdf])).toContain('`doc.pdf` is not a JPEG, PNG, WebP or GIF image.');

    const gone = png(world, 'gone.png', 7);
    world.discord.expireAttachment(gone.id);
    expect(await save(world, 'cat', [gone])).toContain('`gone.png` could not be downloaded from Discord.');

    expect(await listText(world)).toContain('You have no saved subjects yet.');
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('remove and show autocomplete the member’s own names; show posts the images; remove deletes', async () => {
    world = await startWorld();
    await save(world, 'cat', [png(world, 'a.png', 1), png(world, 'b.png', 2)]);
    await save(world, 'castle', [png(world, 'c.png', 3)]);
    await save(world, 'dog', [png(world, 'd.png', 4)], { userId: OTHER_USER });

    const ac = autocomplete({
      name: 'vidu-subjects',
      options: [{ name: 'remove', type: 1, options: [{ name: 'name', type: 3, value: 'ca', focused: true }] }],
    });
    await world.discord.injectInteraction(ac);
    const choices = await world.discord.waitFor(() => world!.discord.interaction(ac.id)?.autocompleteChoices);
    expect(choices).toEqual([
      { name: '@cat — 2 images', value: 'cat' },
      { name: '@castle — 1 image', value: 'castle' },
    ]);

    const show = subjects('show', '@cat');
    await world.discord.injectInteraction(show);
    expect(await ephemeralText(world, show)).toMatch(/^\*\*@cat\*\* — 2 images, saved <t:\d+:R>/);
    const shown = world.discord.originalMessage(show.token)!;
    expect(shown.attachments.map((a) => a.filename)).toEqual(['cat-1.jpg', 'cat-2.jpg']);
    for (const a of shown.attachments) expect(sniffImage(a.bytes)).toBe('image/jpeg');
    expect(visibleAttachments(shown)).toHaveLength(2);

    const rm = subjects('remove', 'CAT');
    await world.discord.injectInteraction(rm);
    expect(await ephemeralText(world, rm)).toContain('Removed **@cat** — 1 of 10 subjects saved.');
    const rmAgain = subjects('remove', 'cat');
    await world.discord.injectInteraction(rmAgain);
    expect(await ephemeralText(world, rmAgain)).toContain('You have no saved subject `@cat`. Yours: `castle`.');
    // The other member's subject is untouched and not visible here.
    expect(await listText(world)).not.toContain('dog');
    expect(await listText(world, { userId: OTHER_USER })).toContain('`@dog` — 1 image');

    const raw = world.vidu({ prompt: '@cat again', options: { model: 'viduq3' }, images: [png(world, 'x.png', 8)] });
    await world.discord.injectInteraction(raw);
    expect(await ephemeralText(world, raw)).toContain('Your saved subjects: `castle`.');
    expect(world.toapis.stats.submitRequests).toBe(0);
  });

  it('saves are rate limited per member in the store: the limit holds across a restart, says when to retry, saves nothing', async () => {
    world = await startWorld({ env: { VIDU_SUBJECT_SAVES_PER_HOUR: '2' } });
    expect(await save(world, 'one', [png(world, 'a.png', 1)])).toContain('Saved **@one**');
    expect(await save(world, 'one', [png(world, 'b.png', 2)])).toContain('Replaced **@one**');
    await world.crash();
    await world.restart();
    const before = world.discord.downloads.length;
    const refused = await save(world, 'two', [png(world, 'c.png', 3)]);
    expect(refused).toMatch(/You can save 2 subjects per hour, and you have\. Try again <t:\d+:R>\. Nothing was saved\./);
    const retryAt = Number(/<t:(\d+):R>/.exec(refused)![1]) * 1000;
    expect(retryAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    // Refused before the upload was even downloaded.
    expect(world.discord.downloads.length).toBe(before);
    expect(await listText(world)).not.toContain('two');
    // Another member is not affected.
    expect(await save(world, 'two', [png(world, 'd.png', 4)], { userId: OTHER_USER })).toContain('Saved **@two**');
  });
});
