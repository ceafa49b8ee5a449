import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UPLOAD_LIMIT_BYTES, DeliveryRouteError, createDelivery, videoFileName } from '../../src/discord/deliver.js';
import { DiscordWriteError, type DiscordFailureKind, type Outbox } from '../../src/discord/outbox.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { SCHEDULE_DEFAULTS } from '../../src/tasks/schedule.js';
import { createFitter } from '../../src/media/fit.js';
import { DownloadTooLargeError } from '../../src/upstream/download.js';
import { record } from '../tasks/records.js';

/**
 * Direct tests of src/discord/deliver.ts with a small scripted outbox (each method answers from
 * a queue of results or failure kinds) over a real SQLite store. The wire format is covered by
 * the e2e tests against the fake Discord; these pin the routing decisions.
 */
type Method = keyof Outbox;
type Script = Partial<Record<Method, (DiscordFailureKind | object)[]>>;

function scriptedOutbox(script: Script) {
  const calls: { method: Method; args: unknown[] }[] = [];
  let n = 0;
  const answer =
    (method: Method) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      const next = script[method]?.shift();
      if (typeof next === 'string') throw new DiscordWriteError(next, undefined, undefined);
      if (next !== undefined) return next;
      n++;
      return method === 'openDm' ? 'dm-channel' : { id: `m${n}`, channel_id: `c${n}` };
    };
  const outbox = Object.fromEntries(
    (['editOriginal', 'editChannelMessage', 'createMessage', 'createFollowup', 'openDm', 'getOriginal', 'fetchChannelMessage'] as const).map((m) => [
      m,
      answer(m),
    ]),
  ) as unknown as Outbox;
  return { outbox, calls, methods: () => calls.map((c) => c.method) };
}

const dir = mkdtempSync(join(tmpdir(), 'vidu-deliver-'));
let store: Store;
beforeAll(async () => {
  store = await openStore({ kind: 'sqlite', file: join(dir, 'd.sqlite') });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const logger = pino({ level: 'silent' });
const NOW = 1_800_000_000_000;

function setup(script: Script, download?: (path: string) => Promise<{ bytes: number }>) {
  const o = scriptedOutbox(script);
  const delivery = createDelivery({
    outbox: o.outbox,
    store,
    logger,
    schedule: SCHEDULE_DEFAULTS,
    download: { toFile: async (_url, path) => (download ? download(path) : { bytes: 0 }) },
    tmpDir: dir,
    guildUploadLimit: () => DEFAULT_UPLOAD_LIMIT_BYTES,
    // Files in these tests fit, or are refused before download: the encoder is never reached.
    fitter: createFitter(),
    now: () => NOW,
  });
  return { ...o, delivery };
}

/** A record on `route` with a failed outcome (nothing to download), token alive unless said. */
function failedJob(route: TaskRecord['reply']['route'], opts: { tokenExpired?: boolean; messageId?: string | null } = {}): TaskRecord {
  const r = record();
  return {
    ...r,
    state: 'delivering',
    outcome: { kind: 'failed', code: 'generation_failed' },
    reply: {
      ...r.reply,
      route,
      tokenUsableUntil: opts.tokenExpired ? NOW - 1 : NOW + 60_000,
      ...(opts.messageId !== undefined ? { messageId: opts.messageId } : {}),
    },
  };
}

describe('final writes follow Discord to the next route', () => {
  it('webhook with a live token: one edit of the original response', async () => {
    const s = setup({});
    const { delivered } = await s.delivery.deliverOutcome(failedJob('webhook'));
    expect(s.methods()).toEqual(['editOriginal']);
    expect(delivered).toMatchObject({ via: 'webhook', attached: false });
  });

  it('an expired token hands over to the channel when the reply is readable there, and saves the route', async () => {
    const s = setup({});
    const job = failedJob('webhook', { tokenExpired: true });
    const { record: after, delivered } = await s.delivery.deliverOutcome(job);
    expect(s.methods()).toEqual(['fetchChannelMessage', 'editChannelMessage']);
    expect(delivered.via).toBe('channel');
    expect(after.reply.route).toBe('channel');
    expect((await store.get(job.id))?.reply.route).toBe('channel');
  });

  it('no access in the channel moves to a DM, posted with the job nonce', async () => {
    const s = setup({ editChannelMessage: ['no_access'] });
    const job = failedJob('channel');
    const { delivered } = await s.delivery.deliverOutcome(job);
    expect(s.methods()).toEqual(['editChannelMessage', 'openDm', 'createMessage']);
    expect(s.calls[2]!.args[0]).toBe('dm-channel');
    expect(s.calls[2]!.args[2]).toBe(`vidu${job.id}`);
    expect(delivered.via).toBe('dm');
    expect((await store.get(job.id))?.reply.route).toBe('dm');
  });

  it('a deleted reply is posted again as a new channel message', async () => {
    const s = setup({ editChannelMessage: ['unknown_message'] });
    const { delivered } = await s.delivery.deliverOutcome(failedJob('channel'));
    expect(s.methods()).toEqual(['editChannelMessage', 'createMessage']);
    expect(delivered.via).toBe('channel');
  });

  it('closed DMs end as undeliverable instead of throwing', async () => {
    const s = setup({ createMessage: ['cannot_dm'] });
    const { delivered } = await s.delivery.deliverOutcome(failedJob('dm'));
    expect(delivered).toEqual({ via: 'none', channelId: null, messageId: null, at: NOW, attached: false });
  });

  it('a transient failure is thrown for the engine to retry', async () => {
    const s = setup({ editOriginal: ['transient'] });
    const err = await s.delivery.deliverOutcome(failedJob('webhook')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordWriteError);
    expect((err as DiscordWriteError).kind).toBe('transient');
  });

  it('gives up with a typed DeliveryRouteError after too many route changes', async () => {
    const s = setup({ createMessage: Array(10).fill('unknown_message') });
    await expect(s.delivery.deliverOutcome(failedJob('dm'))).rejects.toBeInstanceOf(DeliveryRouteError);
    expect(s.methods().filter((m) => m === 'createMessage')).toHaveLength(5);
  });
});

describe('progress edits', () => {
  const running = (route: TaskRecord['reply']['route']): TaskRecord => {
    const r = record();
    return {
      ...r,
      state: 'running',
      upstream: { taskId: 't1', status: 'processing', phase: 'running', progress: 40, submittedAt: NOW - 1000 },
      reply: { ...r.reply, route, tokenUsableUntil: NOW + 60_000 },
    };
  };

  it('are never written to a DM', async () => {
    const s = setup({});
    const job = running('dm');
    expect(await s.delivery.showProgress(job)).toBe(job);
    expect(s.calls).toHaveLength(0);
  });

  it('remember what was shown, so an unchanged line is not edited again', async () => {
    const s = setup({});
    const shown = await s.delivery.showProgress(running('webhook'));
    expect(s.methods()).toEqual(['editOriginal']);
    expect(shown.shown).toBeTruthy();
    expect(shown.lastEditAt).toBe(NOW);
    await s.delivery.showProgress({ ...shown, lastEditAt: NOW - SCHEDULE_DEFAULTS.minEditGapMs });
    expect(s.calls).toHaveLength(1);
  });

  it('a deleted reply switches to posting a new channel message later; other failures are skipped', async () => {
    const s = setup({ editOriginal: ['unknown_message', 'edit_cap'] });
    const moved = await s.delivery.showProgress(running('webhook'));
    expect(moved.reply).toMatchObject({ route: 'channel', messageId: null });
    const job = running('webhook');
    expect(await s.delivery.showProgress(job)).toBe(job);
  });
});

describe('videos', () => {
  const videoJob = (patch: Partial<TaskRecord> = {}): TaskRecord => {
    const r = record();
    return {
      ...r,
      state: 'delivering',
      outcome: { kind: 'video', url: 'https://files.example/v.mp4', completedAt: NOW - 10 },
      reply: { ...r.reply, route: 'webhook', tokenUsableUntil: NOW + 60_000 },
      ...patch,
    };
  };

  it('uploads the downloaded file under its recognisable name', async () => {
    const s = setup({}, async (path) => {
      await writeFile(path, Buffer.alloc(16));
      return { bytes: 16 };
    });
    const job = videoJob();
    const { delivered } = await s.delivery.deliverOutcome(job);
    expect(delivered.attached).toBe(true);
    const files = s.calls[0]!.args[2] as { name: string }[];
    expect(files.map((f) => f.name)).toEqual([videoFileName(job)]);
  });

  it('a file over the upload limit is posted as a link, without an attachment', async () => {
    const s = setup({}, async () => {
      throw new DownloadTooLargeError('https://files.example/v.mp4', job.attachmentSizeLimit, job.attachmentSizeLimit + 5);
    });
    const job = videoJob();
    const { delivered } = await s.delivery.deliverOutcome(job);
    expect(delivered.attached).toBe(false);
    expect(s.calls[0]!.args[2]).toBeUndefined();
  });

  it('after a restart, a reply that already carries the video counts as delivered (no second upload)', async () => {
    const job = videoJob({ deliveryStartedAt: NOW - 100 });
    const s = setup({ getOriginal: [{ id: 'm0', channel_id: 'c0', attachments: [{ filename: videoFileName(job) }] }] });
    const found = await s.delivery.alreadyDelivered(job);
    expect(found?.delivered).toMatchObject({ via: 'webhook', messageId: 'm0', attached: true });
    expect(s.methods()).toEqual(['getOriginal']);
  });

  it('no read-back before the first attempt, and none that finds another file', async () => {
    const s = setup({ getOriginal: [{ id: 'm0', channel_id: 'c0', attachments: [{ filename: 'other.mp4' }] }] });
    expect(await s.delivery.alreadyDelivered(videoJob())).toBeUndefined();
    expect(s.calls).toHaveLength(0);
    expect(await s.delivery.alreadyDelivered(videoJob({ deliveryStartedAt: NOW - 100 }))).toBeUndefined();
    expect(s.methods()).toEqual(['getOriginal']);
  });
});
