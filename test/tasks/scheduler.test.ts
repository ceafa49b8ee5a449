/**
 * The scheduler's lanes: tasks not yet submitted (waiting for the upstream's upload and submit
 * budgets) never hold the slots of tasks already running. A real SQLite store holds the records;
 * the step is the test's, so it can hold a start step open for as long as it likes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import type { TaskRecord, TaskState } from '../../src/tasks/record.js';
import { createScheduler, laneOf, type Scheduler } from '../../src/tasks/scheduler.js';
import { record, snowflake } from './records.js';

const logger = pino({ level: 'silent' });

let dir: string;
let store: Store;
let scheduler: Scheduler | undefined;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vidu-scheduler-'));
  store = await openStore(`sqlite://${join(dir, 'store.sqlite')}`);
});
afterEach(async () => {
  await scheduler?.stop(1_000);
  scheduler = undefined;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A stored pending task in `state`, due now. */
async function task(state: TaskState): Promise<TaskRecord> {
  const id = snowflake();
  const r = record({ interaction: { id } }, { state, nextAt: Date.now() });
  await store.put(r);
  return r;
}

/** Resolves when `check` holds (polled on the event loop; never a fixed sleep). */
async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A step that holds every task in a start state open until `open()` and finishes every other
 * task at once; it records which tasks ran and how many start steps ran at the same time.
 */
function steps() {
  const ran: string[] = [];
  let held = 0;
  let peakHeld = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    ran,
    get held() {
      return held;
    },
    get peakHeld() {
      return peakHeld;
    },
    open: () => release(),
    async step(id: string): Promise<TaskRecord | undefined> {
      const rec = await store.get(id);
      ran.push(id);
      if (rec && laneOf(rec.state) === 'start') {
        held++;
        peakHeld = Math.max(peakHeld, held);
        await gate;
        held--;
      }
      if (!rec) return undefined;
      const done: TaskRecord = { ...rec, state: 'done', outcome: { kind: 'failed', code: 'upstream_unavailable' }, updatedAt: Date.now() };
      await store.put(done);
      return done;
    },
  };
}

describe('scheduler lanes', () => {
  it('puts a task into the lane of its state', () => {
    expect(laneOf('accepted')).toBe('start');
    expect(laneOf('submitting')).toBe('start');
    expect(laneOf(undefined)).toBe('start');
    expect(laneOf('running')).toBe('follow');
    expect(laneOf('delivering')).toBe('follow');
  });

  it('a backlog of new jobs waiting for the upstream does not delay a running job’s look', async () => {
    const s = steps();
    scheduler = createScheduler({ store, step: (id) => s.step(id), logger, concurrency: 4, startConcurrency: 2 });
    const backlog = await Promise.all(Array.from({ length: 10 }, () => task('accepted')));
    for (const r of backlog) scheduler.schedule(r.id, r.owner.userId, r.nextAt, r.state);
    await until(() => s.held === 2, 'the start slots to fill');
    const looks = await Promise.all([task('running'), task('delivering')]);
    for (const r of looks) scheduler.schedule(r.id, r.owner.userId, r.nextAt, r.state);
    // Both run while every start slot is still held; the backlog waits its turn.
    await until(() => looks.every((r) => s.ran.includes(r.id)), 'the running jobs to be looked at');
    expect(s.held).toBe(2);
    expect(s.ran.filter((id) => backlog.some((r) => r.id === id))).toHaveLength(2);
    s.open();
    await until(() => backlog.every((r) => s.ran.includes(r.id)), 'the backlog to drain');
    expect(s.peakHeld).toBe(2);
  });

  it('after a restart, the index’s state puts each task back in its lane', async () => {
    const backlog = await Promise.all(Array.from({ length: 6 }, () => task('submitting')));
    const look = await task('running');
    const s = steps();
    scheduler = createScheduler({ store, step: (id) => s.step(id), logger, concurrency: 2, startConcurrency: 1 });
    expect(await scheduler.resumeAll()).toBe(7);
    await until(() => s.ran.includes(look.id), 'the running job to be looked at');
    expect(s.held).toBe(1);
    s.open();
    await until(() => scheduler!.size === 0, 'every task to finish');
    expect(backlog.every((r) => s.ran.includes(r.id))).toBe(true);
  });

  it('a task moves to the follow lane once its step says it was submitted', async () => {
    const r = await task('accepted');
    const ranIn: string[] = [];
    let blockers = 0;
    scheduler = createScheduler({
      store,
      logger,
      concurrency: 1,
      startConcurrency: 1,
      async step(id) {
        const rec = (await store.get(id))!;
        if (id !== r.id) {
          // A start task that never finishes its step: the only start slot stays taken.
          blockers++;
          await new Promise(() => undefined);
        }
        ranIn.push(rec.state);
        // Submitted: the next look is an hour away, until the test wakes it (as a webhook event would).
        const next: TaskRecord =
          rec.state === 'accepted' ? { ...rec, state: 'running', nextAt: Date.now() + 3_600_000 } : { ...rec, state: 'done', nextAt: Date.now() };
        await store.put(next);
        return next;
      },
    });
    scheduler.schedule(r.id, r.owner.userId, r.nextAt, r.state);
    await until(() => ranIn.length === 1, 'the first step');
    const blocker = await task('accepted');
    scheduler.schedule(blocker.id, blocker.owner.userId, blocker.nextAt, blocker.state);
    await until(() => blockers === 1, 'the blocker to take the start slot');
    // Woken without a state: its look runs in the follow lane although the start lane is full for good.
    scheduler.schedule(r.id, r.owner.userId);
    await until(() => ranIn.length === 2, 'the look after the submit');
    expect(ranIn).toEqual(['accepted', 'running']);
  });
});
