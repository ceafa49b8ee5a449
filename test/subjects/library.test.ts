import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { RequestError } from '../../src/generation/errors.js';
import { resolveSubjects } from '../../src/generation/subjects.js';
import {
  LibraryBytesError,
  MAX_LIBRARY_BYTES_PER_MEMBER,
  MAX_LIBRARY_BYTES_PER_SERVER,
  SUBJECT_TTL_MS,
  LibraryFullError,
  LibraryAccessError,
  LibraryImageMissingError,
  hasForeignLibraryImages,
  MAX_LIBRARY_SUBJECTS,
  attachedStems,
  createSubjectLibrary,
  describeUnknownSubject,
  invalidSubjectName,
  libraryAttachments,
  unattachedMentions,
  type LibraryEntry,
} from '../../src/subjects/library.js';

const entry = (name: string, count = 1): LibraryEntry => ({
  name,
  createdAt: 0,
  images: Array.from({ length: count }, () => ({ mimeType: 'image/png' as const, bytes: 100 })),
});

describe('invalidSubjectName', () => {
  it.each([
    ['cat', undefined],
    ['my_cat-2', undefined],
    ['小猫', undefined],
    ['a'.repeat(32), undefined],
    ['', 'The name is empty.'],
    ['a'.repeat(33), 'The name is 33 characters long; subject names take at most 32.'],
    ['my cat', 'Subject names may only use letters, digits, `_` and `-` (no spaces), as in `@my_cat`.'],
    ['cat:2', 'Subject names may only use letters, digits, `_` and `-` (no spaces), as in `@my_cat`.'],
  ])('%j → %j', (name, expected) => {
    expect(invalidSubjectName(name)).toBe(expected);
  });
});

describe('libraryAttachments', () => {
  it('names files so that subject resolution gives the name back, even one ending in -<digits>', () => {
    for (const name of ['cat', 'robot-2', 'R2_3', '2', '小猫']) {
      const refs = libraryAttachments('42', entry(name, 3));
      expect(refs.map((r) => r.filename)).toEqual([1, 2, 3].map((i) => `${name}-${i}.png`));
      expect(
        resolveSubjects(
          `@${name} waves`,
          refs.map((r) => r.filename),
        ),
      ).toEqual([{ name, imageIndexes: [0, 1, 2] }]);
    }
  });

  it('points each image at vidu-library:<user>/<name>/<index>, with its stored type and size', () => {
    const refs = libraryAttachments('42', { name: 'ネコ', createdAt: 0, images: [{ mimeType: 'image/jpeg', bytes: 1234 }] });
    expect(refs).toEqual([
      { id: 'library-0', filename: 'ネコ-1.jpg', size: 1234, contentType: 'image/jpeg', url: `vidu-library:42/${encodeURIComponent('ネコ')}/0` },
    ]);
  });
});

describe('unattachedMentions', () => {
  it.each([
    ['@cat and @dog', ['cat.png'], ['dog']],
    ['@Cat and @DOG', ['cat-2.png', 'dog.jpg'], []],
    ['no mentions', ['cat.png'], []],
    ['@cat @cat @bird', [], ['cat', 'bird']],
  ])('%j with %j → %j', (prompt, files, expected) => {
    expect(unattachedMentions(prompt, files)).toEqual(expected);
  });
});

describe('attachedStems', () => {
  it('lists each subject name once, first spelling', () => {
    expect(attachedStems(['Cat.png', 'cat-2.png', 'tree.jpg'])).toEqual(['Cat', 'tree']);
  });
});

describe('describeUnknownSubject', () => {
  const err = new RequestError('unknown_subject', { names: ['zebra'], attached: ['tree', 'cat'] });
  const images = [
    { id: '1', filename: 'tree.png', size: 1, url: 'https://cdn.example/tree.png' },
    { id: 'library-0', filename: 'cat-1.png', size: 1, url: 'vidu-library:42/cat/0' },
  ];
  it('lists the real attachments only, then the saved names', () => {
    const text = describeUnknownSubject(err, images, [entry('cat'), entry('dog')]);
    expect(text).toContain('No attached image matches `@zebra`.');
    expect(text).toContain('Attached: `tree`.');
    expect(text).toContain('Your saved subjects: `cat`, `dog`.');
  });
  it('says how to save one when there are none', () => {
    expect(describeUnknownSubject(err, images.slice(0, 1), [])).toMatch(/You have no saved subjects \(save one with `\/vidu-subjects add`\)\.$/);
  });
});

describe('createSubjectLibrary (over a real SQLite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidu-library-'));
  const file = join(dir, 'lib.sqlite');
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ kind: 'sqlite', file });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

  it('reads a stored index and treats a damaged one as empty', async () => {
    const library = createSubjectLibrary(store, { now: () => 100_000 });
    const raw = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${file}` }), namespace: 'meta' });
    try {
      await raw.set('subjects:501', [entry('cat', 2)]);
      expect(await library.list('501')).toEqual([entry('cat', 2)]);
      expect(await library.list('502')).toEqual([]);
      await raw.set('subjects:503', [{ name: 'cat' }]);
      expect(await library.list('503')).toEqual([]);
    } finally {
      await raw.disconnect();
    }
  });

  it('saves, resolves library image URLs to the bytes, and refuses them once removed', async () => {
    const library = createSubjectLibrary(store, { now: () => 100_000 });
    expect(
      await library.save(
        '42',
        'Cat',
        [
          { bytes: png, mimeType: 'image/png' },
          { bytes: jpeg, mimeType: 'image/jpeg' },
        ],
        1000,
      ),
    ).toEqual({ replaced: false, count: 1 });
    const [first, second] = libraryAttachments('42', (await library.find('42', 'cat'))!);
    expect(await library.image(first!.url, '42')).toEqual(png);
    expect(await library.image(second!.url.slice('vidu-library:'.length), '42')).toEqual(jpeg);
    expect(await library.list('7')).toEqual([]);
    // Read for its owner only: another member's job naming this image gets a refusal, not the bytes.
    await expect(library.image(first!.url, '7')).rejects.toBeInstanceOf(LibraryAccessError);
    await expect(library.image(first!.url, '7')).rejects.toThrow(/belong to another member/);
    expect(hasForeignLibraryImages([{ url: first!.url }], '42')).toBe(false);
    expect(hasForeignLibraryImages([{ url: 'https://cdn.example/a.png' }, { url: first!.url }], '7')).toBe(true);
    expect(hasForeignLibraryImages([{ url: 'vidu-library:not-a-ref' }], '42')).toBe(true);

    expect((await library.remove('42', 'CAT'))?.count).toBe(0);
    await expect(library.image(first!.url, '42')).rejects.toBeInstanceOf(LibraryImageMissingError);
    await expect(library.image(first!.url, '42')).rejects.toThrow('The saved subject @Cat was removed or changed before the job started.');
  });

  it('a replaced subject with fewer images makes the old third URL missing', async () => {
    const library = createSubjectLibrary(store, { now: () => 100_000 });
    await library.save(
      '43',
      'dog',
      [png, png, png].map((bytes) => ({ bytes, mimeType: 'image/png' as const })),
      1,
    );
    const urls = libraryAttachments('43', (await library.find('43', 'dog'))!).map((r) => r.url);
    expect(await library.save('43', 'DOG', [{ bytes: jpeg, mimeType: 'image/jpeg' }], 2)).toEqual({ replaced: true, count: 1 });
    await expect(library.image(urls[2]!, '43')).rejects.toBeInstanceOf(LibraryImageMissingError);
    // Index 0 now holds the JPEG; its bytes still match the stored type.
    expect(await library.image(urls[0]!, '43')).toEqual(jpeg);
  });

  it(`holds at most ${MAX_LIBRARY_SUBJECTS} subjects per member`, async () => {
    const library = createSubjectLibrary(store, { now: () => 100_000 });
    for (let i = 0; i < MAX_LIBRARY_SUBJECTS; i++) await library.save('44', `s${i}`, [{ bytes: png, mimeType: 'image/png' }], i);
    const err = await library.save('44', 'one-more', [{ bytes: png, mimeType: 'image/png' }], 99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryFullError);
    expect((err as LibraryFullError).names).toHaveLength(MAX_LIBRARY_SUBJECTS);
    expect((await library.save('7', 'one-more', [{ bytes: png, mimeType: 'image/png' }], 99)).count).toBe(1);
  });

  const jpegOf = (n: number) => ({ bytes: Buffer.concat([jpeg, Buffer.alloc(n - jpeg.length)]), mimeType: 'image/jpeg' as const });

  it('caps the bytes one member keeps; a replacement counts without the images it replaces; nothing is written when refused', async () => {
    const library = createSubjectLibrary(store, { now: () => 100_000 });
    const third = Math.floor(MAX_LIBRARY_BYTES_PER_MEMBER / 3);
    await library.save('45', 'a', [jpegOf(third)], 1);
    await library.save('45', 'b', [jpegOf(third)], 2);
    const err = await library.save('45', 'c', [jpegOf(third), jpegOf(1000)], 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibraryBytesError);
    expect(err).toMatchObject({ scope: 'member', used: 2 * third, limit: MAX_LIBRARY_BYTES_PER_MEMBER, needed: third + 1000 });
    expect((await library.list('45')).map((e) => e.name)).toEqual(['a', 'b']);
    expect(await library.images('45', 'c')).toBeUndefined();
    // Replacing b with the same size fits: b's old bytes no longer count.
    expect(await library.save('45', 'b', [jpegOf(third)], 4)).toMatchObject({ replaced: true, count: 2 });
    expect((await library.usage('45', null)).member).toBe(2 * third);
  });

  it('caps the bytes the members of one server keep, counting removed subjects no more', async () => {
    const library = createSubjectLibrary(store, { now: () => 100_000 });
    const big = Math.floor(MAX_LIBRARY_BYTES_PER_MEMBER * 0.9);
    const members = Math.floor(MAX_LIBRARY_BYTES_PER_SERVER / big);
    for (let i = 0; i < members; i++) await library.save(`9${i}`, 'x', [jpegOf(big)], 1, { guildId: 'g-full' });
    const used = members * big;
    expect((await library.usage('90', 'g-full')).server).toBe(used);
    const err = await library.save('8001', 'y', [jpegOf(MAX_LIBRARY_BYTES_PER_SERVER - used + 1)], 2, { guildId: 'g-full' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'LibraryBytesError', scope: 'server', used, limit: MAX_LIBRARY_BYTES_PER_SERVER });
    expect(await library.list('8001')).toEqual([]);
    // Saved from a DM or another server, the same images are fine: the cap is this server's.
    expect((await library.save('8001', 'y', [jpegOf(1000)], 2, { guildId: 'g-other' })).count).toBe(1);
    // One member removes theirs: room again.
    await library.remove('90', 'x');
    expect((await library.save('8002', 'y', [jpegOf(big)], 3, { guildId: 'g-full' })).count).toBe(1);
  });

  it(`a subject no job used for ${SUBJECT_TTL_MS / 86_400_000} days is gone; a job using it renews it`, async () => {
    let now = 1_000_000;
    const library = createSubjectLibrary(store, { now: () => now });
    await library.save('46', 'old', [{ bytes: png, mimeType: 'image/png' }], now);
    await library.save('46', 'used', [{ bytes: png, mimeType: 'image/png' }], now);
    const [usedRef] = libraryAttachments('46', (await library.find('46', 'used'))!);
    now += SUBJECT_TTL_MS - 1000;
    // A job reads it just before it would expire: its life starts again.
    expect(await library.image(usedRef!.url, '46')).toEqual(png);
    expect((await library.find('46', 'used'))?.usedAt).toBe(now);
    now += 2000;
    expect((await library.list('46')).map((e) => e.name)).toEqual(['used']);
    const [oldRef] = libraryAttachments('46', { name: 'old', createdAt: 0, images: [{ mimeType: 'image/png', bytes: png.length }] });
    await expect(library.image(oldRef!.url, '46')).rejects.toBeInstanceOf(LibraryImageMissingError);
    now += SUBJECT_TTL_MS - 3000;
    expect((await library.list('46')).map((e) => e.name)).toEqual(['used']);
    now += 2000;
    expect(await library.list('46')).toEqual([]);
  });
});
