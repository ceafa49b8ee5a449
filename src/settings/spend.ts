/**
 * The one place a finished job's spend is settled: its weight given back when the upstream failed
 * it (or it never started), kept for good otherwise (delivered, or stopped — toapis cannot cancel),
 * and its in-flight slot freed. Every call is idempotent (the ledgers key reservations by job id),
 * so it runs BEFORE the record is marked done: a kill in between only means it runs again.
 */
import type { TaskRecord } from '../tasks/record.js';
import type { MemberGate, OperatorLedger } from './operator.js';
import type { UsageLedger } from './usage.js';

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
