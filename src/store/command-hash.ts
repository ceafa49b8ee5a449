/** Hash of the slash commands last registered, per application (meta `commands-hash:<appId>`). */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** Keyed by the application id; the value is a sha256 hex digest. */
export const commandHash = defineFamily({
  name: 'command hash',
  namespace: 'meta',
  schema: z.string().min(1),
  key: (applicationId: string) => `commands-hash:${applicationId}`,
});
