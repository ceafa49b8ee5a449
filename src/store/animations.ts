/** Images of a right-clicked message while its Animate modal is open (commands/animate.ts), meta `animate:<interactionId>`. */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** How long the right-clicked message's images are remembered while the modal is open, ms. */
export const PENDING_ANIMATION_TTL_MS = 15 * 60 * 1000;

export const PendingAnimationSchema = z.object({
  images: z.array(
    z.object({
      id: z.string(),
      filename: z.string(),
      size: z.number(),
      contentType: z.string().nullable().optional(),
      url: z.string(),
    }),
  ),
  messageUrl: z.string(),
});
export type PendingAnimation = z.infer<typeof PendingAnimationSchema>;

/** Keyed by the id of the interaction that opened the modal. */
export const pendingAnimations = defineFamily({
  name: 'pending animation',
  namespace: 'meta',
  schema: PendingAnimationSchema,
  key: (interactionId: string) => `animate:${interactionId}`,
  ttlMs: PENDING_ANIMATION_TTL_MS,
});
