/**
 * Each member's library of named subjects (`@name` → 1–3 images), kept in the store
 * (src/store/subjects.ts) so `/vidu` can use a subject without attaching its images again. Discord's
 * attachment URLs expire (shared/discord/platform.md §3), so the image bytes themselves are
 * stored, base64 in JSON.
 *
 * Keys:
 * - `subjects:<userId>` — the index: names, image types and sizes, newest last. Small; `/vidu`
 *   and autocomplete read only this.
 * - `subject:<userId>:<key>` — one subject with its images (`key` = the name, case-folded).
 *
 * - `subjectbytes:<guildId>` — bytes of the subjects saved from a server, per member.
 *
 * Writes go data first, index second (and the reverse on removal), so the index never names a
 * subject whose data was never written.
 *
 * Bounded (issue 9, "nothing can fill the store"): images are shrunk before they get here
 * (src/media/still.ts), a member keeps at most {@link MAX_LIBRARY_BYTES_PER_MEMBER} and the members
 * of one server at most {@link MAX_LIBRARY_BYTES_PER_SERVER} of saved images, saves are rate limited
 * (src/settings/operator.ts), and a subject no job used for {@link SUBJECT_TTL_MS} expires.
 */
import { RequestError, describeRequestError } from '../generation/errors.js';
import { sniffImage, type ImageMimeType } from '../generation/images.js';
import { MAX_SUBJECT_IMAGES, MAX_SUBJECT_NAME_CHARS, MODELS, defaultModelFor, isModelId } from '../generation/models.js';
import type { AttachmentRef, RawVideoOptions } from '../generation/request.js';
import { fileStem, parseSubjectMentions, subjectNameKey } from '../generation/subjects.js';
import { joinList, t } from '../i18n/index.js';
import { absentIfCorrupt, type Store } from '../store/index.js';
import { imageSource, storedImageUrl } from '../generation/image-source.js';
import { SUBJECT_TTL_MS, type SubjectIndexEntry } from '../store/subjects.js';

export { SUBJECT_TTL_MS } from '../store/subjects.js';

/** Stored prefix of a library image (src/generation/image-source.ts): `vidu-library:<userId>/<name>/<index>`. */
export { LIBRARY_SCHEME } from '../generation/image-source.js';
/** Most subjects one member may save. */
export const MAX_LIBRARY_SUBJECTS = 10;
/** Bytes of saved images one member may keep, all subjects together (6 MiB ≈ 30 shrunk images). */
export const MAX_LIBRARY_BYTES_PER_MEMBER = 6 * 1024 * 1024;
/** Bytes of saved images the members of one server may keep, saved from there (200 MiB). */
export const MAX_LIBRARY_BYTES_PER_SERVER = 200 * 1024 * 1024;
/** Subject saves (new or replaced) one member may make per rolling hour. */
export const SUBJECT_SAVES_PER_HOUR = 10;
/** A subject's lifetime is renewed by a job at most this often, ms (1 day): not a write per image read. */
const TOUCH_EVERY_MS = 24 * 60 * 60 * 1000;
/** Images per subject, as Vidu takes them (1–3). */
export const MAX_LIBRARY_SUBJECT_IMAGES = MAX_SUBJECT_IMAGES;

/** Same characters as an `@name` mention in a prompt (src/generation/subjects.ts). */
const NAME = /^[\p{L}\p{M}\p{N}_-]+$/u;

/** Case-insensitive key of a name, as subject mentions compare them (src/generation/subjects.ts). */
export const nameKey = subjectNameKey;

/**
 * Why `name` cannot name a subject, in `locale` (a Discord locale; default en-US), or `undefined`
 * when it can. `name` is as typed, without `@`.
 */
export function invalidSubjectName(name: string, locale = 'en-US'): string | undefined {
  const chars = [...name].length;
  if (chars === 0) return t(locale, 'subjects.name.empty');
  if (chars > MAX_SUBJECT_NAME_CHARS) return t(locale, 'subjects.name.tooLong', { length: chars, max: MAX_SUBJECT_NAME_CHARS });
  if (!NAME.test(name)) return t(locale, 'subjects.name.invalid');
  return undefined;
}

const EXTENSIONS: Record<ImageMimeType, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif' };

export type LibraryEntry = SubjectIndexEntry;

export interface LibraryImage {
  bytes: Buffer;
  mimeType: ImageMimeType;
}

/** The member already has {@link MAX_LIBRARY_SUBJECTS} other subjects. */
export class LibraryFullError extends Error {
  override name = 'LibraryFullError';
  constructor(readonly names: string[]) {
    super(`subject library full (${names.length})`);
  }
}

/** Saving would take the member's or the server's saved images over their byte cap. */
export class LibraryBytesError extends Error {
  override name = 'LibraryBytesError';
  constructor(
    readonly scope: 'member' | 'server',
    /** Bytes in use now (without what this save replaces), the cap, and what the save needs. */
    readonly used: number,
    readonly limit: number,
    readonly needed: number,
  ) {
    super(`subject library ${scope} bytes: ${used} + ${needed} > ${limit}`);
  }
}

/** A `vidu-library:` image that is no longer stored (the subject was removed or replaced). */
export class LibraryImageMissingError extends Error {
  override name = 'LibraryImageMissingError';
  constructor(readonly subject: string) {
    super(t('en-US', 'subjects.imageMissing', { name: subject }));
  }

  /** The message in `locale` (a Discord locale, such as the job owner's). */
  describe(locale: string): string {
    return t(locale, 'subjects.imageMissing', { name: this.subject });
  }
}

/**
 * A `vidu-library:` image of another member than the job's requester: saved subjects are read
 * for their owner only, so a record carrying someone else's ref fails instead of leaking it.
 */
export class LibraryAccessError extends LibraryImageMissingError {
  override name = 'LibraryAccessError';
  constructor(subject: string) {
    super(subject);
    this.message = t('en-US', 'auth.libraryNotYours');
  }

  override describe(locale: string): string {
    return t(locale, 'auth.libraryNotYours');
  }
}

/** The member a `vidu-library:` URL points into, or `undefined` when it is not one (or malformed). */
export function libraryRefOwner(url: string): string | undefined {
  const source = imageSource(url);
  return source.kind === 'library' ? (parseLibraryUrl(source.ref)?.userId ?? '') : undefined;
}

/** Whether any image is a library image not owned by `userId` (a malformed library ref counts). */
export function hasForeignLibraryImages(images: readonly { url: string }[], userId: string): boolean {
  return images.some((i) => {
    const owner = libraryRefOwner(i.url);
    return owner !== undefined && owner !== userId;
  });
}

/** `vidu-library:<userId>/<name>/<index>`. */
export function libraryImageUrl(userId: string, name: string, index: number): string {
  return storedImageUrl({ kind: 'library', ref: `${userId}/${encodeURIComponent(name)}/${index}` });
}

function parseLibraryUrl(url: string): { userId: string; name: string; index: number } | undefined {
  const source = imageSource(url);
  const match = /^(\d+)\/([^/]+)\/(\d+)$/.exec(source.kind === 'library' ? source.ref : url);
  if (!match) return undefined;
  try {
    return { userId: match[1]!, name: decodeURIComponent(match[2]!), index: Number(match[3]) };
  } catch {
    return undefined;
  }
}

/** `<name>-<i+1>.<ext>`: the file name of a subject's image `i`. */
export function subjectFileName(name: string, i: number, mimeType: ImageMimeType): string {
  return `${name}-${i + 1}.${EXTENSIONS[mimeType]}`;
}

/**
 * A subject's images as /vidu attachments: `<name>-1.png`, `<name>-2.jpg`… so that
 * {@link fileStem} gives back the name even when it ends in `-<digits>` itself.
 */
export function libraryAttachments(userId: string, entry: LibraryEntry): AttachmentRef[] {
  return entry.images.map((image, i) => ({
    id: `library-${i}`,
    filename: subjectFileName(entry.name, i, image.mimeType),
    size: image.bytes,
    contentType: image.mimeType,
    url: libraryImageUrl(userId, entry.name, i),
  }));
}

/** `@names` in the prompt that no attached file stands for (case-insensitive, as subjects resolve). */
export function unattachedMentions(prompt: string, filenames: readonly string[]): string[] {
  const stems = new Set(filenames.map((f) => nameKey(fileStem(f))));
  return parseSubjectMentions(prompt).filter((name) => !stems.has(nameKey(name)));
}

/** Distinct subject names the files stand for, first spelling, in order. */
export function attachedStems(filenames: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const f of filenames) {
    const stem = fileStem(f);
    if (!seen.has(nameKey(stem))) seen.set(nameKey(stem), stem);
  }
  return [...seen.values()];
}

const entryBytes = (e: LibraryEntry) => e.images.reduce((sum, i) => sum + i.bytes, 0);
const lastUse = (e: LibraryEntry) => e.usedAt ?? e.createdAt;

/**
 * The library over the store's subject families (src/store/subjects.ts). `now` is the clock that
 * decides which subjects have expired (default `Date.now`).
 */
export function createSubjectLibrary(store: Pick<Store, 'subjectIndex' | 'subjects' | 'subjectServerBytes'>, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  /**
   * The live entries: an unreadable index counts as empty rather than locking the member out,
   * and an entry no job used for {@link SUBJECT_TTL_MS} is gone (its row expires by itself).
   */
  const readIndex = async (userId: string): Promise<LibraryEntry[]> => {
    const index = (await store.subjectIndex.get(userId).catch(absentIfCorrupt)) ?? [];
    const at = now();
    return index.filter((e) => lastUse(e) + SUBJECT_TTL_MS > at);
  };
  const readStored = (userId: string, name: string) => store.subjects.get({ userId, nameKey: nameKey(name) }).catch(absentIfCorrupt);
  const readImages = async (userId: string, name: string): Promise<LibraryImage[] | undefined> => {
    const stored = await readStored(userId, name);
    return stored?.images.map((i) => ({ bytes: Buffer.from(i.data, 'base64'), mimeType: i.mimeType }));
  };

  /** Bytes each member saved from `guildId`, recounted from their indexes (drops expired and removed subjects). */
  const recountServer = async (guildId: string, counted: Record<string, number>): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const member of Object.keys(counted)) {
      const bytes = (await readIndex(member)).filter((e) => e.guildId === guildId).reduce((sum, e) => sum + entryBytes(e), 0);
      if (bytes > 0) out[member] = bytes;
    }
    return out;
  };
  /** Records the member's bytes saved from `guildId` after a save or removal. */
  const updateServer = async (guildId: string, userId: string, entries: readonly LibraryEntry[]) => {
    const counted = (await store.subjectServerBytes.get(guildId).catch(absentIfCorrupt)) ?? {};
    const bytes = entries.filter((e) => e.guildId === guildId).reduce((sum, e) => sum + entryBytes(e), 0);
    const next = Object.fromEntries(Object.entries({ ...counted, [userId]: bytes }).filter(([, b]) => b > 0));
    await store.subjectServerBytes.set(guildId, next);
  };

  return {
    /** The member's subjects (names, image types and sizes), oldest first. One small read. */
    list: readIndex,

    /** The entry named `name` (case-insensitive), if saved. */
    async find(userId: string, name: string): Promise<LibraryEntry | undefined> {
      return (await readIndex(userId)).find((e) => nameKey(e.name) === nameKey(name));
    },

    /** Bytes of saved images: the member's, and (when saved from a server) that server's members'. */
    async usage(userId: string, guildId: string | null): Promise<{ member: number; server?: number }> {
      const member = (await readIndex(userId)).reduce((sum, e) => sum + entryBytes(e), 0);
      if (!guildId) return { member };
      const counted = (await store.subjectServerBytes.get(guildId).catch(absentIfCorrupt)) ?? {};
      return { member, server: Object.values(counted).reduce((a, b) => a + b, 0) };
    },

    /**
     * Saves (or replaces) a subject, saved from `guildId` (`null`: a DM or user install). Throws
     * {@link LibraryFullError} when it is new and the member already has
     * {@link MAX_LIBRARY_SUBJECTS}, {@link LibraryBytesError} when the images would take the
     * member or the server over its byte cap. Nothing is written when it throws.
     * @returns whether an existing subject of that name was replaced.
     */
    async save(
      userId: string,
      name: string,
      images: readonly LibraryImage[],
      at: number,
      where: { guildId: string | null } = { guildId: null },
    ): Promise<{ replaced: boolean; count: number }> {
      if (images.length < 1 || images.length > MAX_LIBRARY_SUBJECT_IMAGES) throw new Error(`save: ${images.length} images`);
      const index = await readIndex(userId);
      const others = index.filter((e) => nameKey(e.name) !== nameKey(name));
      if (others.length >= MAX_LIBRARY_SUBJECTS) throw new LibraryFullError(others.map((e) => e.name));
      const needed = images.reduce((sum, i) => sum + i.bytes.length, 0);
      const memberUsed = others.reduce((sum, e) => sum + entryBytes(e), 0);
      if (memberUsed + needed > MAX_LIBRARY_BYTES_PER_MEMBER) throw new LibraryBytesError('member', memberUsed, MAX_LIBRARY_BYTES_PER_MEMBER, needed);
      const { guildId } = where;
      if (guildId) {
        const serverUsed = (counted: Record<string, number>) =>
          Object.entries(counted).reduce((sum, [member, bytes]) => sum + (member === userId ? 0 : bytes), 0) +
          others.filter((e) => e.guildId === guildId).reduce((sum, e) => sum + entryBytes(e), 0);
        let counted = (await store.subjectServerBytes.get(guildId).catch(absentIfCorrupt)) ?? {};
        if (serverUsed(counted) + needed > MAX_LIBRARY_BYTES_PER_SERVER) {
          // The tally may still count subjects that expired or were removed elsewhere: recount once.
          counted = await recountServer(guildId, counted);
          await store.subjectServerBytes.set(guildId, counted);
          const used = serverUsed(counted);
          if (used + needed > MAX_LIBRARY_BYTES_PER_SERVER) throw new LibraryBytesError('server', used, MAX_LIBRARY_BYTES_PER_SERVER, needed);
        }
      }
      await store.subjects.set(
        { userId, nameKey: nameKey(name) },
        { v: 1, name, createdAt: at, images: images.map((i) => ({ mimeType: i.mimeType, data: i.bytes.toString('base64') })) },
      );
      const entry: LibraryEntry = { name, createdAt: at, guildId, images: images.map((i) => ({ mimeType: i.mimeType, bytes: i.bytes.length })) };
      const next = [...others, entry];
      await store.subjectIndex.set(userId, next);
      // The server a replaced subject came from counts it no more.
      const servers = new Set([guildId, ...index.filter((e) => nameKey(e.name) === nameKey(name)).map((e) => e.guildId)]);
      for (const g of servers) if (g) await updateServer(g, userId, next);
      return { replaced: others.length !== index.length, count: next.length };
    },

    /** Removes a subject; `undefined` when there was none of that name. */
    async remove(userId: string, name: string): Promise<{ removed: LibraryEntry; count: number } | undefined> {
      const index = await readIndex(userId);
      const removed = index.find((e) => nameKey(e.name) === nameKey(name));
      if (!removed) return undefined;
      const rest = index.filter((e) => e !== removed);
      await store.subjectIndex.set(userId, rest);
      await store.subjects.delete({ userId, nameKey: nameKey(name) });
      if (removed.guildId) await updateServer(removed.guildId, userId, rest);
      return { removed, count: rest.length };
    },

    /** The images of a subject, in order; `undefined` when not saved. */
    images: readImages,

    /**
     * The bytes behind a library image URL, with or without {@link LIBRARY_SCHEME} (the engine's
     * `libraryImage` option), read for `ownerId` (the job's requester) only. Throws
     * {@link LibraryAccessError} when the image is another member's, and
     * {@link LibraryImageMissingError} when the subject or that image is gone. A job using a
     * subject renews its lifetime (at most once a day).
     */
    async image(url: string, ownerId: string): Promise<Buffer> {
      const ref = parseLibraryUrl(url);
      if (!ref) throw new LibraryImageMissingError('?');
      if (ref.userId !== ownerId) throw new LibraryAccessError(ref.name);
      const index = await readIndex(ref.userId);
      const entry = index.find((e) => nameKey(e.name) === nameKey(ref.name));
      const stored = entry ? await readStored(ref.userId, ref.name) : undefined;
      const data = stored?.images[ref.index];
      const image = data && { bytes: Buffer.from(data.data, 'base64'), mimeType: data.mimeType };
      // Stored bytes were checked on save; re-check that they still are what they claim.
      if (!entry || !stored || !image || sniffImage(image.bytes) !== image.mimeType) throw new LibraryImageMissingError(ref.name);
      const at = now();
      if (at - lastUse(entry) >= TOUCH_EVERY_MS) {
        // Rewriting renews both rows' time to live. Best effort: the job goes on either way.
        await store.subjects
          .set({ userId: ref.userId, nameKey: nameKey(ref.name) }, stored)
          .then(() =>
            store.subjectIndex.set(
              ref.userId,
              index.map((e) => (e === entry ? { ...e, usedAt: at } : e)),
            ),
          )
          .catch(() => undefined);
      }
      return image.bytes;
    },
  };
}

export type SubjectLibrary = ReturnType<typeof createSubjectLibrary>;

/**
 * For a model that takes subjects (viduq3), appends the saved images of each prompt `@name` that
 * no attachment stands for — attachments win — so subject resolution, the image cap and the
 * unknown-name refusal in `buildGenerationRequest` apply to them as to attachments. `model` is
 * read as `buildGenerationRequest` will pick it. Reads the member's index once, and only when
 * such a name exists.
 * @returns the member's saved subjects when they were read, else `undefined`.
 */
export async function addSavedSubjects(options: RawVideoOptions, userId: string, library: SubjectLibrary): Promise<LibraryEntry[] | undefined> {
  const model = options.model?.trim() || defaultModelFor(options.images.length);
  if (!isModelId(model) || !MODELS[model].subjects) return undefined;
  const wanted = unattachedMentions(
    options.prompt,
    options.images.map((i) => i.filename),
  );
  if (wanted.length === 0) return undefined;
  const saved = await library.list(userId);
  for (const name of wanted) {
    const entry = saved.find((e) => nameKey(e.name) === nameKey(name));
    if (entry) options.images.push(...libraryAttachments(userId, entry));
  }
  return saved;
}

/**
 * The unknown-`@name` refusal when the library was consulted: attached names, then saved ones,
 * in `locale` (a Discord locale; default en-US).
 */
export function describeUnknownSubject(
  err: RequestError<'unknown_subject'>,
  images: readonly AttachmentRef[],
  saved: readonly LibraryEntry[],
  locale = 'en-US',
): string {
  const attached = attachedStems(images.filter((i) => imageSource(i.url).kind !== 'library').map((i) => i.filename));
  const base = describeRequestError(new RequestError('unknown_subject', { names: err.params.names, attached }), locale);
  return saved.length > 0
    ? t(locale, 'subjects.unknown.saved', {
        base,
        names: joinList(
          locale,
          saved.map((e) => `\`${e.name}\``),
        ),
      })
    : t(locale, 'subjects.unknown.none', { base });
}
