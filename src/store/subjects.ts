/**
 * Each member's subject library (src/subjects/library.ts), in two families:
 * - `subjectIndex`, meta `subjects:<userId>`: names, image types and sizes, oldest first. Small;
 *   `/vidu` and autocomplete read only this.
 * - `subjects`, meta `subject:<userId>:<nameKey>`: one subject with its images, base64.
 */
import { z } from 'zod';
import type { ImageMimeType } from '../generation/images.js';
import { MAX_SUBJECT_IMAGES } from '../generation/models.js';
import { defineFamily } from './family.js';

export const SUBJECT_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const satisfies readonly ImageMimeType[];

export const SubjectIndexEntrySchema = z.object({
  name: z.string().min(1),
  createdAt: z.number(),
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
});

/** Keyed by member and the subject's name key (`nameKey(name)` of src/subjects/library.ts). */
export const subjects = defineFamily({
  name: 'subject',
  namespace: 'meta',
  schema: StoredSubjectSchema,
  key: ({ userId, nameKey }: { userId: string; nameKey: string }) => `subject:${userId}:${nameKey}`,
});
