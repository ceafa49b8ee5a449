/**
 * Each member's subject library (src/subjects/library.ts), in two families:
 * - `subjectIndex`, meta `subjects:<userId>`: names, image types and sizes, oldest first. Small;
 *   `/vidu` and autocomplete read only this.
 * - `subjects`, meta `subject:<userId>:<nameKey>`: one subject with its images, base64.
 * - `subjectServerBytes`, meta `subjectbytes:<guildId>`: bytes of the subjects saved from that
 *   server, per member (the per-server cap).
 *
 * All expire {@link SUBJECT_TTL_MS} after their last write; using a subject rewrites it
 * (src/subjects/library.ts), so only subjects nobody uses go away.
 */
import { z } from 'zod';
import type { ImageMimeType } from '../generation/images.js';
import { MAX_SUBJECT_IMAGES } from '../generation/models.js';
import { defineFamily } from './family.js';

/** A subject unused this long expires, ms (90 days). */
export const SUBJECT_TTL_MS = 90 * 24 * 60 * 60 * 1000;

export const SUBJECT_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const satisfies readonly ImageMimeType[];

export const SubjectIndexEntrySchema = z.object({
  name: z.string().min(1),
  createdAt: z.number(),
  /** Last time a job used it (ms); absent = never since it was saved. */
  usedAt: z.number().optional(),
  /** The server it was saved from (`null` = a DM or user install), for the per-server cap. */
  guildId: z.string().nullable().optional(),
  images: z
    .array(z.object({ mimeType: z.enum(SUBJECT_MIME_TYPES), bytes: z.number().int().positive() }))
    .min(1)
    .max(MAX_SUBJECT_IMAGES),
});
export type SubjectIndexEntry = z.infer<typeof SubjectIndexEntrySchema>;

export const StoredSubjectSchema = z.object({
  v: z.literal(1),
  name: z.string().min(1),
  createdAt: z.number(),
  images: z
    .array(z.object({ mimeType: z.enum(SUBJECT_MIME_TYPES), data: z.string().min(1) }))
    .min(1)
    .max(MAX_SUBJECT_IMAGES),
});

/** Keyed by the member's user id. */
export const subjectIndex = defineFamily({
  name: 'subject index',
  namespace: 'meta',
  schema: z.array(SubjectIndexEntrySchema),
  key: (userId: string) => `subjects:${userId}`,
  ttlMs: SUBJECT_TTL_MS,
});

/** Keyed by member and the subject's name key (`nameKey(name)` of src/subjects/library.ts). */
export const subjects = defineFamily({
  name: 'subject',
  namespace: 'meta',
  schema: StoredSubjectSchema,
  key: ({ userId, nameKey }: { userId: string; nameKey: string }) => `subject:${userId}:${nameKey}`,
  ttlMs: SUBJECT_TTL_MS,
});

/** Keyed by server id: member id → bytes of their subjects saved from that server. */
export const subjectServerBytes = defineFamily({
  name: 'subject server bytes',
  namespace: 'meta',
  schema: z.record(z.string(), z.number().int().nonnegative()),
  key: (guildId: string) => `subjectbytes:${guildId}`,
  ttlMs: SUBJECT_TTL_MS,
});
