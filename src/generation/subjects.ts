import { RequestError } from './errors.js';
import { MAX_SUBJECT_IMAGES, MAX_SUBJECT_NAME_CHARS } from './models.js';

/**
 * `@name` mentions: an `@` not preceded by a letter, digit, `_` (so `me@example.com` is text) or
 * `<` (Discord's own `<@123>` user/role mention syntax), then letters (any script, with combining
 * marks), digits, `_` or `-`. A run longer than {@link MAX_SUBJECT_NAME_CHARS} is not a name.
 */
const MENTION = /(?<![\p{L}\p{M}\p{N}_<])@([\p{L}\p{M}\p{N}_-]+)/gu;

/** Case-insensitive comparison key for subject names and file stems (also the saved subject's key). */
export function subjectNameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** Distinct `@name` mentions in the prompt (case-insensitively), first spelling, in order. */
export function parseSubjectMentions(prompt: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const match of prompt.matchAll(MENTION)) {
    const name = match[1]!;
    if ([...name].length > MAX_SUBJECT_NAME_CHARS) continue;
    const key = subjectNameKey(name);
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/**
 * The subject name a file stands for, case preserved: the file name without its extension,
 * without Discord's `SPOILER_` prefix, and without one trailing copy counter — a separator
 * (`-`, `_` or space) plus digits, or ` (2)` as browsers name duplicates.
 * `cat-2.png` → `cat`, `Cat_3.JPG` → `Cat`, `my dog 2.webp` → `my dog`, `cat (1).png` → `cat`,
 * `a-b.png` → `a-b`, `cat2.png` → `cat2`, `2.png` → `2`.
 * (Discord turns spaces in uploaded file names into `_`, so `my dog 2.webp` arrives as
 * `my_dog_2.webp` → `my_dog`, which `@my_dog` matches.)
 */
export function fileStem(filename: string): string {
  let stem = filename.replace(/^SPOILER_/, '');
  const dot = stem.lastIndexOf('.');
  if (dot > 0) stem = stem.slice(0, dot);
  const withoutCounter = stem.replace(/(?:[-_ ]\d+|\s?\(\d+\))$/, '');
  return withoutCounter.length > 0 ? withoutCounter : stem;
}

export interface ResolvedSubject {
  /** As spelled in the prompt. */
  name: string;
  /** Indexes into the attachment list, in attachment order. */
  imageIndexes: number[];
}

/**
 * Groups attached images into the subjects the prompt mentions (viduq3 only). Images whose stem
 * matches no mention stay plain references. Throws `RequestError` `unknown_subject` (listing every
 * unmatched name and the distinct attached stems) or `subject_too_many_images`.
 */
export function resolveSubjects(prompt: string, filenames: readonly string[]): ResolvedSubject[] {
  const mentions = parseSubjectMentions(prompt);
  if (mentions.length === 0) return [];

  const stemKeys = filenames.map((f) => subjectNameKey(fileStem(f)));
  const subjects = mentions.map((name) => {
    const key = subjectNameKey(name);
    const imageIndexes = stemKeys.flatMap((stemKey, i) => (stemKey === key ? [i] : []));
    return { name, imageIndexes };
  });

  const unknown = subjects.filter((s) => s.imageIndexes.length === 0).map((s) => s.name);
  if (unknown.length > 0) {
    throw new RequestError('unknown_subject', { names: unknown, attached: distinctStems(filenames) });
  }
  const crowded = subjects.find((s) => s.imageIndexes.length > MAX_SUBJECT_IMAGES);
  if (crowded) {
    throw new RequestError('subject_too_many_images', {
      name: crowded.name,
      max: MAX_SUBJECT_IMAGES,
      count: crowded.imageIndexes.length,
    });
  }
  return subjects;
}

function distinctStems(filenames: readonly string[]): string[] {
  const seen = new Set<string>();
  const stems: string[] = [];
  for (const filename of filenames) {
    const stem = fileStem(filename);
    const key = subjectNameKey(stem);
    if (seen.has(key)) continue;
    seen.add(key);
    stems.push(stem);
  }
  return stems;
}
