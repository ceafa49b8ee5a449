/**
 * Job records (`task` namespace, keyed by task id) and the index of unfinished ones (`pending`
 * namespace), so a restart rebuilds its timers without scanning finished history.
 */
import { z } from 'zod';
import { TASK_STATES, TaskRecordSchema, isFinished, owningGuildId, type TaskRecord } from '../tasks/record.js';
import { StoredValueError, defineFamily, type FamilyHooks } from './family.js';
import { StoreError, type Namespaces } from './keyv.js';

/** Finished records are kept this long for lookups (ms). Default 30 days. */
export const FINISHED_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export const PendingEntrySchema = z.object({
  id: z.string().min(1),
  guildId: z.string().nullable(),
  userId: z.string(),
  nextAt: z.number(),
  /** The record's state when it was written (which scheduler lane it waits in); older rows lack it. */
  state: z.enum(TASK_STATES).optional(),
});
export type PendingEntry = z.infer<typeof PendingEntrySchema>;

/** Keyed by task id. */
export const taskRecords = defineFamily({ name: 'task', namespace: 'task', schema: TaskRecordSchema, key: (id: string) => id });
/** Keyed by task id; owns the `pending` namespace. */
export const pendingEntries = defineFamily({ name: 'pending entry', namespace: 'pending', schema: PendingEntrySchema, key: (id: string) => id });

/** The job records with their pending index kept in step. */
export interface TaskRepository {
  /** Throws {@link StoredValueError} (a {@link StoreError}) when the stored record does not parse. */
  get(id: string): Promise<TaskRecord | undefined>;
  /** Writes the record and keeps the pending index in step with it. */
  put(record: TaskRecord): Promise<void>;
  /** Every unfinished task (entries that do not parse are skipped). */
  listPending(): Promise<PendingEntry[]>;
  /**
   * The records of `ids`, in order; one that does not parse is set aside like {@link get} does
   * (its pending entry dropped too) and reads as absent, so one bad row never hides the others.
   */
  getMany(ids: string[]): Promise<(TaskRecord | undefined)[]>;
}

export function createTaskRepository(ns: Namespaces, hooks: FamilyHooks = {}): TaskRepository {
  const tasks = taskRecords(ns, hooks);
  const pending = pendingEntries(ns, hooks);
  return {
    async get(id) {
      try {
        return await tasks.get(id);
      } catch (err) {
        // The record was set aside: drop its pending entry too, so no restart resumes it again.
        if (err instanceof StoredValueError) await pending.delete(id).catch(() => undefined);
        throw err;
      }
    },
    async getMany(ids) {
      const values = await tasks.getMany(ids);
      return Promise.all(
        values.map(async (value, i) => {
          if (!(value instanceof StoredValueError)) return value;
          await pending.delete(ids[i]!).catch(() => undefined);
          return undefined;
        }),
      );
    },
    async put(record) {
      const valid = TaskRecordSchema.parse(record);
      if (isFinished(valid)) {
        await tasks.set(valid.id, valid, FINISHED_TTL_MS);
        await pending.delete(valid.id);
      } else {
        // Index first: a crash between the two writes leaves an index entry pointing at an
        // older record, which the engine re-reads anyway — never an unindexed running task.
        await pending.set(valid.id, {
          id: valid.id,
          guildId: owningGuildId(valid.owner),
          userId: valid.owner.userId,
          nextAt: valid.nextAt,
          state: valid.state,
        });
        await tasks.set(valid.id, valid);
      }
    },
    async listPending() {
      const out: PendingEntry[] = [];
      if (!ns.pending.iterator) throw new StoreError('store cannot iterate');
      for await (const [, value] of pending.entries()) if (!(value instanceof StoreError)) out.push(value);
      return out;
    },
  };
}
