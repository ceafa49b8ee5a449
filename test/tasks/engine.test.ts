import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery, Written } from '../../src/discord/deliver.js';
import { DiscordWriteError } from '../../src/discord/outbox.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createEngine, type EngineEvents } from '../../src/tasks/engine.js';
import { GuildSettingsSchema } from '../../src/settings/settings.js';
import { settleSpend } from '../../src/settings/spend.js';
import { createUsageLedger, utcDay } from '../../src/settings/usage.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { SCHEDULE_DEFAULTS } from '../../src/tasks/schedule.js';
import type { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamNotFoundError } from '../../src/upstream/errors.js';
import { UpstreamTaskSchema } from '../../src/upstream/schemas.js';
import { record } from './records.js';

/**
 * Direct tests of src/tasks/engine.ts: a real SQLite store, a small scripted upstream and a
 * delivery fake that records what it was asked. The routing itself is covered by
 * test/discord/deliver.test.ts, the whole flow by test/e2e.
 */
const dir = mkdtempSync(join(tmpdir(), 'vidu-engine-'));
let store: Store;
beforeAll(async () => {
  store = await openStore({ kind: 'sqlite', file: join(dir, 'e.sqlite') });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = 1_800_000_000_000;
const SECRET = 'sk-live-engine-test-secret';
const notFound = () => new UpstreamNotFoundError({ requestPath: '/v1/videos/generations/x', status: 404 });

/** Upstream answers as toapis sends them (parsed by the real schema). */
type RawTask = Record<string, unknown>;

function setup(upstream: { getTask?: (id: string) => RawTask | Error; submit?: () => RawTask }, deliver?: () => Promise<Written>, events?: EngineEvents) {
  const calls: string[] = [];
  const client: UpstreamClient = {
    async uploadImage() {
      calls.push('upload');
      return { id: 'f', url: 'https://files.example/f.png' };
    },
    async submit() {
      calls.push('submit');
      return UpstreamTaskSchema.parse(upstream.submit?.() ?? { id: 'task-1', status: 'queued' });
    },
    async getTask(id) {
      calls.push(`get:${id}`);
      const r = upstream.getTask?.(id) ?? notFound();
      if (r instanceof Error) throw r;
      return UpstreamTaskSchema.parse(r);
    },
    async getBalance() {
      throw new Error('not used');
    },
  };
  const delivery: Delivery = {
    handoff: async (r) => r,
    retireToken: async (r) => r,
    showProgress: async (r) => r,
    alreadyDelivered: async () => undefined,
    showStopped: async () => undefined,
    notify: async (r) => r,
    deliverOutcome: async (r) => {
      calls.push('deliver');
      if (deliver) return deliver();
      return { record: r, delivered: { via: 'webhook', channelId: 'c', messageId: 'm', at: NOW, attached: false } };
    },
  };
  const engine = createEngine({
    store,
    upstream: client,
    delivery,
    download: { bytes: async () => Buffer.alloc(0) },
    logger: pino({ level: 'silent' }),
    schedule: SCHEDULE_DEFAULTS,
    taskDeadlineMs: 30 * 60_000,
    secrets: [SECRET],
    now: () => NOW,
    random: () => 0.5,
    ...(events ? { events } : {}),
  });
  return { engine, calls };
}

async function stored(patch: Partial<TaskRecord>): Promise<TaskRecord> {
  const r = record({ now: NOW - 1000 });
  const rec = { ...r, nextAt: NOW, reply: { ...r.reply, route: 'channel' }, ...patch } as TaskRecord;
  await store.put(rec);
  return rec;
}

describe('submit', () => {
  it('a submit that may already have reached toapis is looked up first and adopted, not paid again', async () => {
    const rec = await stored({ state: 'submitting', attempts: 1 });
    const s = setup({ getTask: (id) => (id === rec.clientBusinessId ? { id: 'task-earlier', status: 'processing' } : notFound()) });
    const after = await s.engine.step(rec.id);
    expect(s.calls).not.toContain('submit');
    expect(after?.state).toBe('running');
    expect(after?.upstream?.taskId).toBe('task-earlier');
  });

  it('when toapis does not know the id, it submits exactly once', async () => {
    const rec = await stored({ state: 'submitting' });
    const s = setup({});
    const after = await s.engine.step(rec.id);
    expect(s.calls.filter((c) => c === 'submit')).toHaveLength(1);
    expect(after?.upstream?.taskId).toBe('task-1');
    expect((await store.get(rec.id))?.state).toBe('running');
  });
});

describe('a finished job’s spend is settled before it is marked done', () => {
  it('a failed settle leaves the job open; the next step settles again and closes it, giving the weight back once', async () => {
    const usage = createUsageLedger({ store, now: () => NOW });
    const day = utcDay(NOW);
    const limits = GuildSettingsSchema.parse({ serverDailyBudget: 100 });
    const base = record({ now: NOW - 1000 });
    const guildId = base.owner.guildId!;
    const rec = await stored({
      state: 'running',
      upstream: { taskId: 'task-s', phase: 'running', status: 'processing', progress: 10, submittedAt: NOW - 5000 },
      quota: { weight: 10, day },
    });
    expect(await usage.reserve(guildId, rec.owner.userId, 10, limits, rec.id)).toMatchObject({ ok: true });
    expect(await usage.reserve(guildId, 'someone-else', 7, limits, 'other-job')).toMatchObject({ ok: true });
    const seen: string[] = [];
    const deps = { usage, operator: { refund: async () => undefined, commit: async () => undefined }, gate: { finish: async () => undefined } };
    const s = setup({ getTask: () => ({ id: 'task-s', status: 'failed', error: { code: 'x', message: 'no' } }) }, undefined, {
      async settle(r) {
        seen.push(r.outcome?.kind ?? 'none');
        if (seen.length === 1) throw new Error('store down');
        await settleSpend(deps, r);
      },
    });
    await expect(s.engine.step(rec.id)).rejects.toThrow('store down');
    expect((await store.get(rec.id))?.state).toBe('delivering');
    expect((await usage.today(guildId)).total).toBe(17);
    const after = await s.engine.step(rec.id);
    expect(after?.state).toBe('done');
    expect(seen).toEqual(['failed', 'failed']);
    // Settled again by a stray retry: still given back only once.
    await settleSpend(deps, after!);
    expect((await usage.today(guildId)).total).toBe(7);
  });
});

describe('off-peak jobs are looked at rarely', () => {
  it('the first look and every look after come 5 min (±20 %) apart, not every few seconds', async () => {
    const base = record({ now: NOW - 1000, raw: { offPeak: true } });
    expect(base.request.offPeak).toBe(true);
    const rec = await stored({ state: 'submitting', request: base.request });
    const s = setup({ submit: () => ({ id: 'task-op', status: 'queued' }), getTask: (id) => (id === 'task-op' ? { id, status: 'queued' } : notFound()) });
    const submitted = await s.engine.step(rec.id);
    expect(submitted?.state).toBe('running');
    const window = [0.8 * SCHEDULE_DEFAULTS.offPeakPollMs, 1.2 * SCHEDULE_DEFAULTS.offPeakPollMs];
    expect(submitted!.nextAt - NOW).toBeGreaterThanOrEqual(window[0]!);
    expect(submitted!.nextAt - NOW).toBeLessThanOrEqual(window[1]!);
    await store.put({ ...submitted!, nextAt: NOW });
    const looked = await s.engine.step(rec.id);
    expect(s.calls.filter((c) => c === 'get:task-op')).toHaveLength(1);
    expect(looked!.nextAt - NOW).toBeGreaterThanOrEqual(window[0]!);
    expect(looked!.nextAt - NOW).toBeLessThanOrEqual(window[1]!);
  });
});

describe('poll failures are stored as reason codes', () => {
  const running = () =>
    stored({ state: 'running', upstream: { taskId: 'task-9', status: 'processing', phase: 'running', progress: 10, submittedAt: NOW - 5000 } });

  it('the upstream’s words are kept sanitised as upstream_said (our key masked), not as text', async () => {
    const rec = await running();
    const s = setup({ getTask: () => ({ id: 'task-9', status: 'failed', error: { code: 'x', message: `quota for ${SECRET} exceeded` } }) });
    const after = await s.engine.step(rec.id);
    const outcome = (await store.get(rec.id))?.outcome;
    expect(outcome).toMatchObject({ kind: 'failed', code: 'generation_failed', reason: { code: 'upstream_said' } });
    expect(outcome?.kind === 'failed' && outcome.reason?.code === 'upstream_said' && outcome.reason.said).not.toContain(SECRET);
    expect(outcome?.kind === 'failed' && outcome.detail).toBeFalsy();
    // The failure is delivered in the same step.
    expect(s.calls).toContain('deliver');
    expect(after?.state).toBe('done');
  });

  it('a task the upstream forgot is task_unknown with its id', async () => {
    const rec = await running();
    const s = setup({});
    await s.engine.step(rec.id);
    expect((await store.get(rec.id))?.outcome).toMatchObject({ kind: 'failed', reason: { code: 'task_unknown', taskId: 'task-9' } });
  });
});

describe('deliver', () => {
  it('a failed Discord write is retried later with deliveryStartedAt kept, so the next attempt reads back first', async () => {
    const rec = await stored({ state: 'delivering', outcome: { kind: 'failed', code: 'timed_out' } });
    const s = setup({}, async () => {
      throw new DiscordWriteError('transient', undefined, 503);
    });
    const after = await s.engine.step(rec.id);
    const again = await store.get(rec.id);
    expect(after?.state).toBe('delivering');
    expect(again?.attempts).toBe(1);
    expect(again?.deliveryStartedAt).toBe(NOW);
    expect(again?.nextAt).toBeGreaterThan(NOW);
  });
});
