/** A member's own defaults and their `pings` preference (meta `prefs:<userId>`); src/settings/member.ts. */
import { MemberPrefsSchema, memberPrefsKey } from '../settings/member.js';
import { defineFamily } from './family.js';

/** Keyed by the member's user id. */
export const memberPrefs = defineFamily({
  name: 'member preferences',
  namespace: 'meta',
  schema: MemberPrefsSchema,
  key: memberPrefsKey,
});
