/**
 * The one place a finished job's spend is settled: its weight given back when the upstream failed
 * it (or it never started), kept for good otherwise (delivered, or stopped — toapis cannot cancel),
 * and its in-flight slot freed. Every call is idempotent (the ledgers key reservations by job id),
 * so it runs BEFORE the record is marked done: a kill in between only means it runs again.
 */
import type { Store } from '../store/index.js';
import type { TaskRecord } from '../tasks/record.js';
import type { MemberGate, OperatorLedger } from './operator.js';
import { utcDay, type UsageLedger } from './usage.js';

export interface SpendDeps {
  operator: Pick<OperatorLedger, 'refund' | 'commit'>;
  usage: Pick<UsageLedger, 'refund' | 'commit'>;
  gate: Pick<MemberGate, 'finish'>;
}

/**
 * Settles `record`'s reservations by its outcome; rejects if the store fails (then try again).
 * A story holds one in-flight slot for its whole run, named by the job that started the run: a
 * clip handing on to the next keeps it.
 */
export async function settleSpend(deps: SpendDeps, record: TaskRecord): Promise<void> {
  const refund = record.outcome?.kind === 'failed';
  const story = record.story;
  const handsOn = story !== undefined && record.outcome?.kind === 'video' && !record.stopped && story.index < story.total - 1;
  if (!handsOn) await deps.gate.finish(record.owner.userId, story?.slot ?? record.id);
  if (record.operatorQuota) {
    const { day } = record.operatorQuota;
    await (refund ? deps.operator.refund(record.id, day) : deps.operator.commit(record.id, day));
  }
  if (record.quota && record.owner.guildId) {
    const { day } = record.quota;
    await (refund ? deps.usage.refund(record.owner.guildId, day, record.id) : deps.usage.commit(record.owner.guildId, day, record.id));
  }
}

/** How old a reservation without a job record must be before it is given back, ms (before VIDU_TIME_SCALE). */
export const RECONCILE_MARGIN_MS = 60_000;

/**
 * The record a reservation belongs to: the job itself, or for a story's later clip
 * (`<slot>-<n>`, reserved before its record exists) the record of the run's first clip.
 */
export function reservationOwnerId(jobId: string): string {
  return jobId.replace(/-\d+$/, '');
}

export interface ReservationCheckOptions {
  store: Pick<Store, 'get'>;
  operator: Pick<OperatorLedger, 'reconcile'>;
  usage: Pick<UsageLedger, 'reconcile'>;
  /** Servers whose ledgers this process checks (those it owns, with settings). */
  guildIds(): string[];
  /** Reservations younger than this are left alone (another shard may be storing the record), ms. */
  marginMs: number;
  now(): number;
}

/**
 * One pass of the check that gives back reservations left by a kill between reserving a job's
 * weight and storing its record (that job was never acknowledged). A record that cannot be read
 * counts as there: never give back what may be spent. Records found once are remembered, so a
 * long-running job costs one read, not one a minute. Resolves with how many were given back.
 */
export function createReservationCheck(options: ReservationCheckOptions) {
  const known = new Set<string>();
  const exists = async (jobId: string): Promise<boolean> => {
    const id = reservationOwnerId(jobId);
    if (known.has(id)) return true;
    const found = await options.store.get(id).then(
      (r) => r !== undefined,
      () => true,
    );
    if (found) {
      // Bounded: forgetting only costs a read again.
      if (known.size >= 10_000) known.clear();
      known.add(id);
    }
    return found;
  };
  return async (): Promise<{ operator: number; server: number }> => {
    const at = options.now();
    const days = [utcDay(at), utcDay(at - 24 * 60 * 60 * 1000)];
    const before = at - options.marginMs;
    const [operator, server] = await Promise.all([
      options.operator.reconcile(days, before, exists),
      options.usage.reconcile(options.guildIds(), days, before, exists),
    ]);
    return { operator, server };
  };
}
