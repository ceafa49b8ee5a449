import type { Logger } from '../log.js';
import { owningGuildId, type TaskRecord, type TaskState } from './record.js';
import type { PendingEntry, TaskRepository } from '../store/index.js';
import { wakeAt } from './engine.js';

export interface SchedulerOptions {
  store: TaskRepository;
  step(id: string): Promise<TaskRecord | undefined>;
  logger: Logger;
  /** Steps of tasks past their submit (status looks, deliveries) running at once. Default 16. */
  concurrency?: number;
  /**
   * Steps of tasks not yet submitted (image uploads, submits) running at once. Default 8. They
   * wait for the upstream's submit and upload budgets, so they have slots of their own: a backlog
   * of new jobs never delays the look or the delivery of a job already running.
   */
  startConcurrency?: number;
  /** Retry delay when a step throws (store down…), ms. Default 5000. */
  errorRetryMs?: number;
  /**
   * Only tasks this returns true for are run here (sharding). Default: all. A task scheduled
   * here that turns out to belong elsewhere (an interaction that reached another shard) is let go
   * after its current step and passed to {@link onDisowned}.
   */
  owns?(entry: Pick<PendingEntry, 'guildId'>): boolean;
  /** A task this process let go because {@link owns} says another process runs it. */
  onDisowned?(record: TaskRecord): void;
  /** Called as a step starts with how late it is against when it was due, ms (metrics). */
  onLate?(lateMs: number): void;
  now?: () => number;
}

/** Which slots a task's steps take: `start` before its submit, `follow` after. */
export type Lane = 'start' | 'follow';

/** The lane of a task in `state`; unknown (an index row written before lanes) counts as `start`. */
export function laneOf(state: TaskState | undefined): Lane {
  return state === 'running' || state === 'delivering' ? 'follow' : 'start';
}

/**
 * Timers are a cache of the store: one timer per pending task, rebuilt from the store's pending
 * index at start. A task never runs two steps at once; a wake-up that arrives while a step runs
 * is folded into the re-arm after it. Due tasks queue in two lanes with slots of their own (see
 * {@link SchedulerOptions.startConcurrency}), each first come, first served.
 */
export function createScheduler(options: SchedulerOptions) {
  const now = options.now ?? Date.now;
  const limits: Record<Lane, number> = { start: options.startConcurrency ?? 8, follow: options.concurrency ?? 16 };
  const errorRetryMs = options.errorRetryMs ?? 5_000;
  const owns = options.owns ?? (() => true);
  const timers = new Map<string, NodeJS.Timeout>();
  const due = new Map<string, number>();
  /** Pending tasks known here, by id → owner; `size` counts them. */
  const pending = new Map<string, string>();
  const running = new Set<string>();
  /** The lane of every pending task, from its last known state. */
  const lanes = new Map<string, Lane>();
  const queues: Record<Lane, string[]> = { start: [], follow: [] };
  const queued = new Set<string>();
  const active: Record<Lane, number> = { start: 0, follow: 0 };
  const busy = () => active.start + active.follow;
  const waiting = () => queues.start.length + queues.follow.length;
  /** Tasks woken while their step ran: run again right after it (a webhook event, a hand-over). */
  const wokenWhileRunning = new Set<string>();
  let stopped = false;
  const idleWaiters: (() => void)[] = [];

  function arm(id: string, at: number): void {
    if (stopped) return;
    const existing = timers.get(id);
    if (existing) clearTimeout(existing);
    due.set(id, at);
    const delay = Math.max(0, at - now());
    // setTimeout caps at 2^31-1 ms; longer waits re-arm on wake.
    const timer = setTimeout(
      () => {
        timers.delete(id);
        enqueue(id);
      },
      Math.min(delay, 2_147_483_647),
    );
    timer.unref();
    timers.set(id, timer);
  }

  function enqueue(id: string): void {
    if (running.has(id)) wokenWhileRunning.add(id);
    if (stopped || running.has(id) || queued.has(id)) return;
    queues[lanes.get(id) ?? 'start'].push(id);
    queued.add(id);
    pump();
  }

  function pump(): void {
    for (const lane of ['follow', 'start'] as const) {
      const queue = queues[lane];
      while (!stopped && active[lane] < limits[lane] && queue.length > 0) {
        const id = queue.shift()!;
        queued.delete(id);
        active[lane]++;
        running.add(id);
        void run(id).finally(() => {
          active[lane]--;
          running.delete(id);
          if (busy() === 0 && waiting() === 0) for (const w of idleWaiters.splice(0)) w();
          pump();
        });
      }
    }
  }

  const forget = (id: string): void => {
    wokenWhileRunning.delete(id);
    due.delete(id);
    pending.delete(id);
    lanes.delete(id);
  };

  async function run(id: string): Promise<void> {
    const dueAt = due.get(id);
    if (dueAt !== undefined) options.onLate?.(now() - dueAt);
    try {
      const record = await options.step(id);
      const at = record ? wakeAt(record) : undefined;
      if (record && at !== undefined && !owns({ guildId: owningGuildId(record.owner) })) {
        forget(id);
        options.logger.info({ task: id, guild: record.owner.guildId }, 'task belongs to another shard; handed over');
        options.onDisowned?.(record);
        return;
      }
      if (at === undefined) {
        forget(id);
        return;
      }
      if (record) {
        pending.set(id, record.owner.userId);
        lanes.set(id, laneOf(record.state));
      }
      arm(id, wokenWhileRunning.delete(id) ? Math.min(at, now()) : at);
    } catch (err) {
      options.logger.error({ task: id, err }, 'task step crashed; retrying later');
      arm(id, now() + errorRetryMs);
    }
  }

  return {
    /** Runs the task's next step at `at` (ms since epoch), or now; `state` picks its lane (default: not yet submitted). */
    schedule(id: string, userId: string, at = now(), state?: TaskState): void {
      pending.set(id, userId);
      if (state !== undefined || !lanes.has(id)) lanes.set(id, laneOf(state));
      arm(id, at);
    },
    /** Rebuilds every timer from the store; returns how many tasks were scheduled. */
    async resumeAll(): Promise<number> {
      const entries = await options.store.listPending();
      let n = 0;
      for (const entry of entries) {
        if (!owns(entry)) continue;
        pending.set(entry.id, entry.userId);
        lanes.set(entry.id, laneOf(entry.state));
        arm(entry.id, entry.nextAt);
        n++;
      }
      return n;
    },
    /** The member stopped this task (Stop button): its next step runs now so the engine can close it (it reads the stop mark). */
    release(id: string): void {
      arm(id, now());
    },
    get size(): number {
      return pending.size;
    },
    /** Stops arming timers and waits for running steps to finish, up to `timeoutMs`. */
    async stop(timeoutMs = 10_000): Promise<void> {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      queues.start.length = 0;
      queues.follow.length = 0;
      queued.clear();
      if (busy() === 0) return;
      await Promise.race([new Promise<void>((resolve) => idleWaiters.push(resolve)), new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
