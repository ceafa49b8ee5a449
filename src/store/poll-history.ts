/** What past jobs took, by job shape (src/tasks/schedule.ts `createDurationHistory`), meta `poll-history`. */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** Durations in ms (submit → result) per job-shape key. */
export const PollHistorySchema = z.record(z.string(), z.array(z.number().positive()));

/** One value per store: the key argument is ignored (pass `undefined`). */
export const pollHistory = defineFamily({
  name: 'poll history',
  namespace: 'meta',
  schema: PollHistorySchema,
  // One row for the whole bot: the key takes no id.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  key: (_: void) => 'poll-history',
});
