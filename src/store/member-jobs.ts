/** `/vidu-jobs`: each member's recent job ids, newest first (meta `jobs:<userId>`). */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** Job ids kept per member. */
export const MEMBER_JOBS_KEPT = 100;

export const MemberJobsSchema = z.array(z.string().min(1)).max(MEMBER_JOBS_KEPT);

/** Keyed by the member's user id. */
export const memberJobs = defineFamily({
  name: 'member jobs',
  namespace: 'meta',
  schema: MemberJobsSchema,
  key: (userId: string) => `jobs:${userId}`,
});
