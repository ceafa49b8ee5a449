/** `/vidu-settings`: each member's own defaults (src/settings/member.ts), meta `prefs:<userId>`. */
import { MemberPrefsSchema } from '../settings/member.js';
import { defineFamily } from './family.js';

/** Keyed by the member's user id (one set per person, the same in every server and DM). */
export const memberPrefs = defineFamily({
  name: 'member prefs',
  namespace: 'meta',
  schema: MemberPrefsSchema,
  key: (userId: string) => `prefs:${userId}`,
});
