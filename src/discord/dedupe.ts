/**
 * Discord may deliver one interaction twice (a gateway resume replays it); the second must not
 * start a second job. Remembers the last ids seen by this process.
 */

/** Interaction ids remembered. Default 10 000. */
export const DEDUPE_CAPACITY = 10_000;

/** `firstSighting(id)` is true the first time an id is seen, false after (oldest forgotten first). */
export function createInteractionDedupe(capacity = DEDUPE_CAPACITY) {
  const seen = new Set<string>();
  return {
    firstSighting(id: string): boolean {
      if (seen.has(id)) return false;
      seen.add(id);
      if (seen.size > capacity) seen.delete(seen.values().next().value!);
      return true;
    },
  };
}
