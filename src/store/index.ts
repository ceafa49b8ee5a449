/**
 * The store: typed record families over keyv (SQLite file or Redis). Module map:
 * - keyv.ts — namespaces, {@link StoreLocation}, timeouts, {@link StoreError}
 * - family.ts — {@link defineFamily}: schema + key + namespace → typed get/set/delete
 * - one file per family: tasks.ts, settings.ts, usage.ts, subjects.ts, member-jobs.ts,
 *   poll-history.ts, command-hash.ts, alerts.ts, animations.ts, counters.ts
 *
 * New family: copy member-jobs.ts, then add one line to {@link openStore} below.
 */
import { creditAlerts } from './alerts.js';
import { claims, memberGates, openSpends, spendLines } from './counters.js';
import { pendingAnimations } from './animations.js';
import { commandHash } from './command-hash.js';
import { memberJobs } from './member-jobs.js';
import { memberPrefs } from './member-prefs.js';
import { pollHistory } from './poll-history.js';
import { guildSettings } from './settings.js';
import { stopMarks } from './stop-marks.js';
import { stories } from './stories.js';
import { subjectIndex, subjectServerBytes, subjects } from './subjects.js';
import { createTaskRepository, type TaskRepository } from './tasks.js';
import { usage } from './usage.js';
import { jobsByBusinessId, jobsByTask, pushedResults, webhookEvents } from './webhooks.js';
import { sweepExpired } from './sweep.js';
import { NAMESPACES, StoreError, describeLocation, openNamespaces, parseStoreUrl, timed, type StoreLocation } from './keyv.js';

export { StoreError, describeLocation, parseStoreUrl, redactUrl, type StoreLocation } from './keyv.js';
export { StoredValueError, absentIfCorrupt, type CorruptRow, type Family } from './family.js';
import type { FamilyHooks } from './family.js';
export type { PendingEntry, TaskRepository } from './tasks.js';

function families(ns: ReturnType<typeof openNamespaces>, hooks: FamilyHooks) {
  return {
    settings: guildSettings(ns, hooks),
    usage: usage(ns, hooks),
    subjectIndex: subjectIndex(ns, hooks),
    subjects: subjects(ns, hooks),
    subjectServerBytes: subjectServerBytes(ns, hooks),
    memberJobs: memberJobs(ns, hooks),
    memberPrefs: memberPrefs(ns, hooks),
    pollHistory: pollHistory(ns, hooks),
    commandHash: commandHash(ns, hooks),
    creditAlerts: creditAlerts(ns, hooks),
    pendingAnimations: pendingAnimations(ns, hooks),
    spendLines: spendLines(ns, hooks),
    openSpends: openSpends(ns, hooks),
    claims: claims(ns, hooks),
    memberGates: memberGates(ns, hooks),
    stopMarks: stopMarks(ns, hooks),
    stories: stories(ns, hooks),
    webhookEvents: webhookEvents(ns, hooks),
    jobsByTask: jobsByTask(ns, hooks),
    jobsByBusinessId: jobsByBusinessId(ns, hooks),
    pushedResults: pushedResults(ns, hooks),
  };
}

/** Every record family, by name. */
export type Families = ReturnType<typeof families>;

/** The opened store: the job records (as {@link TaskRepository}) plus every other family. */
export interface Store extends TaskRepository, Families {
  /** Touches every namespace (reads only); rejects when any is unreachable. */
  ping(): Promise<void>;
  /** Deletes expired rows (SQLite; Redis expires keys itself); returns how many (src/store/sweep.ts). */
  sweepExpired(nowMs?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the store at `location` (or a `STORE_URL` string) and checks that every namespace answers.
 * `onCorrupt` hears of every row that did not parse and was set aside (src/store/family.ts).
 */
export async function openStore(location: StoreLocation | string, options: FamilyHooks = {}): Promise<Store> {
  const where = typeof location === 'string' ? parseStoreUrl(location) : location;
  if (!where) throw new StoreError('STORE_URL must be sqlite://path/file.sqlite or redis://host:port/db');
  const ns = openNamespaces(where);
  let firstError: unknown;
  for (const name of NAMESPACES)
    ns[name].on('error', (err: unknown) => {
      firstError ??= err;
    });

  const store: Store = {
    ...createTaskRepository(ns, options),
    ...families(ns, options),
    async ping() {
      // Every namespace opens its own connection: touch them all, so none fails unobserved.
      // Reads only: /healthz calls this on every probe and must not write each time.
      await Promise.all(NAMESPACES.map((n) => timed('ping', ns[n].get('ping'))));
      if (firstError) {
        const err = firstError;
        firstError = undefined;
        throw err instanceof Error ? err : new StoreError('store connection failed');
      }
    },
    sweepExpired: (nowMs) => sweepExpired(where, ns, nowMs),
    async close() {
      await Promise.allSettled(NAMESPACES.map((n) => timed('close', ns[n].disconnect())));
    },
  };
  try {
    // Once at open, a write too: a read-only file or a full disk fails the start, not a job.
    await timed('ping', ns.meta.set('ping', Date.now()));
    await store.ping();
  } catch (err) {
    await store.close();
    throw new StoreError(`cannot open store ${describeLocation(where)}: ${(err as Error).message}`);
  }
  return store;
}
