/**
 * The webhook receiver's rules (upstream/toapis-vidu.md §8), each against the real handler on the
 * real HTTP server over a real SQLite store: what is answered, and that a refusal changes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_PATH, createWebhookHandler } from '../../src/http/webhook.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createStoreCounters } from '../../src/settings/counters.js';
import { createJobIndexRepo, createPushedResultRepo, createWebhookEventRepo } from '../../src/store/webhooks.js';
import { openStore, type Store } from '../../src/store/index.js';
import { WEBHOOK_MAX_AGE_S, WEBHOOK_MAX_BODY_BYTES, taskFromEvent, verifySignature, webhookSignature, WebhookEventSchema } from '../../src/webhooks/event.js';
import { createWebhookInbox } from '../../src/webhooks/inbox.js';

const SECRET = 'whsec-current-0123456789abcdef0123456789abcdef';
const OLD_SECRET = 'whsec-previous-fedcba9876543210fedcba9876543210';

let dir: string;
let store: Store;
let server: HttpServer;
const woken: string[] = [];
const lines: { level: string; obj: object; msg?: string }[] = [];
const logger = {
  info: (obj: object, msg?: string) => void lines.push({ level: 'info', obj, msg }),
  warn: (obj: object, msg?: string) => void lines.push({ level: 'warn', obj, msg }),
};
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-webhook-'));
  store = await openStore(`sqlite://${join(dir, 'vidu.sqlite')}`);
  const counters = createStoreCounters(store);
  const events = createWebhookEventRepo(store, (key, ttlMs) => counters.claim(key, ttlMs));
  const index = createJobIndexRepo(store);
  const pushed = createPushedResultRepo(store);
  await index.remember('job-known', { businessId: 'vidu-111', taskId: 'video_known' });
  await index.remember('job-by-task', { taskId: 'video_only_task' });
  const inbox = createWebhookInbox({
    events,
    index,
    pushed,
    logger,
    wake: async (jobId) => void woken.push(jobId),
  });
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    checks: {},
    metrics: () => '',
    routes: { [WEBHOOK_PATH]: createWebhookHandler({ secrets: [SECRET], inbox, logger }) },
  });
  url = `http://127.0.0.1:${server.port}${WEBHOOK_PATH}`;
});
afterAll(async () => {
  await server.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function event(overrides: { id?: string; taskId?: string; businessId?: string | null; type?: string; status?: string } = {}) {
  const id = overrides.id ?? `evt_test_${++n}`;
  const success = (overrides.status ?? 'SUCCESS') === 'SUCCESS';
  return {
    id,
    type: overrides.type ?? (success ? 'generation.completed' : 'generation.failed'),
    api_version: 'v1',
    created_at: Math.floor(Date.now() / 1000),
    data: {
      task_id: overrides.taskId ?? 'video_known',
      client_business_id: overrides.businessId === undefined ? 'vidu-111' : overrides.businessId,
      task_type: 'video',
      model: 'viduq3-turbo',
      status: overrides.status ?? 'SUCCESS',
      progress: '100%',
      result: success ? { type: 'video', data: [{ url: 'https://files.toapis.com/v/known.mp4', format: 'mp4' }] } : null,
      error: success ? null : { code: 'generation_failed', message: 'Generation failed: upstream said no' },
      submitted_at: Math.floor(Date.now() / 1000) - 60,
      finished_at: Math.floor(Date.now() / 1000),
    },
  };
}

async function post(
  body: string,
  headers: { id?: string; timestamp?: number | string; secrets?: string[]; signature?: string } = {},
  method = 'POST',
): Promise<{ status: number; text: string }> {
  const id = headers.id ?? (JSON.parse(body) as { id: string }).id;
  const timestamp = String(headers.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = headers.signature ?? (headers.secrets ?? [SECRET]).map((s) => `v1=${webhookSignature(s, id, timestamp, body)}`).join(',');
  const res = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-toapis-webhook-id': id,
      'x-toapis-webhook-timestamp': timestamp,
      'x-toapis-webhook-signature': signature,
    },
    ...(method === 'POST' ? { body } : {}),
  });
  return { status: res.status, text: await res.text() };
}

/** What the store holds about an event and its job (to show a refusal changed nothing). */
async function footprint(eventId: string, jobId = 'job-known') {
  return {
    seen: await createWebhookEventRepo(store, () => Promise.resolve(false)).seen(eventId),
    pushed: await createPushedResultRepo(store).get(jobId),
    woken: woken.filter((j) => j === jobId).length,
  };
}

describe('POST /webhooks/toapis', () => {
  it('an authentic event is taken: its task state stored for the job, the job woken, 200', async () => {
    const e = event();
    const res = await post(JSON.stringify(e));
    expect(res.status).toBe(200);
    const stored = await createPushedResultRepo(store).get('job-known');
    expect(stored?.eventId).toBe(e.id);
    expect(stored?.task).toMatchObject({ id: 'video_known', status: 'completed', result: { data: [{ url: 'https://files.toapis.com/v/known.mp4' }] } });
    expect(woken.at(-1)).toBe('job-known');
    await createPushedResultRepo(store).delete('job-known');
  });

  it('a duplicate (same event id) gets 2xx and does nothing', async () => {
    const e = event();
    expect((await post(JSON.stringify(e))).status).toBe(200);
    await createPushedResultRepo(store).delete('job-known');
    const before = await footprint(e.id);
    // A retry carries a new timestamp; the id is the same.
    const again = await post(JSON.stringify(e), { timestamp: Math.floor(Date.now() / 1000) + 1 });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ duplicate: true });
    expect(await footprint(e.id)).toEqual(before);
  });

  it('two deliveries of one event at the same moment: one acts, the other is a duplicate', async () => {
    const e = event();
    const wokenBefore = woken.filter((j) => j === 'job-known').length;
    const answers = await Promise.all([post(JSON.stringify(e)), post(JSON.stringify(e))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.filter((a) => (JSON.parse(a.text) as { duplicate?: boolean }).duplicate === true)).toHaveLength(1);
    expect(woken.filter((j) => j === 'job-known').length).toBe(wokenBefore + 1);
    await createPushedResultRepo(store).delete('job-known');
  });

  it('during a secret rotation any matching v1= is accepted (new first or old first)', async () => {
    for (const order of [
      [SECRET, OLD_SECRET],
      [OLD_SECRET, SECRET],
    ]) {
      const e = event();
      expect((await post(JSON.stringify(e), { secrets: order })).status).toBe(200);
      expect((await footprint(e.id)).seen).toBe(true);
    }
    await createPushedResultRepo(store).delete('job-known');
  });

  it.each([
    ['signed with another secret', { secrets: [OLD_SECRET] }],
    ['a signature of the wrong length', { signature: 'v1=abcd' }],
    ['no v1= value', { signature: 'v0=' + 'a'.repeat(64) }],
    ['the body changed after signing', { tamper: true }],
  ])('bad signature (%s) → 401, nothing stored, nothing woken', async (_name, how) => {
    const e = event();
    const body = JSON.stringify(e);
    const before = await footprint(e.id);
    const res =
      'tamper' in how
        ? await post(body.replace('video_known', 'video_other'), {
            signature: `v1=${webhookSignature(SECRET, e.id, String(Math.floor(Date.now() / 1000)), body)}`,
          })
        : await post(body, how);
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('video_known');
    expect(await footprint(e.id)).toEqual(before);
    expect(before.seen).toBe(false);
  });

  it(`a first delivery older than ${WEBHOOK_MAX_AGE_S} s → 400, nothing stored; the same event fresh is then taken`, async () => {
    const e = event();
    const body = JSON.stringify(e);
    const before = await footprint(e.id);
    const stale = await post(body, { timestamp: Math.floor(Date.now() / 1000) - WEBHOOK_MAX_AGE_S - 5 });
    expect(stale.status).toBe(400);
    expect(await footprint(e.id)).toEqual(before);
    // One from the future is refused alike.
    expect((await post(body, { timestamp: Math.floor(Date.now() / 1000) + WEBHOOK_MAX_AGE_S + 5 })).status).toBe(400);
    expect((await post(body)).status).toBe(200);
    expect((await footprint(e.id)).seen).toBe(true);
    await createPushedResultRepo(store).delete('job-known');
  });

  it('an event for a task this bot does not know: 2xx (toapis stops retrying) and one log line', async () => {
    const e = event({ taskId: 'video_stranger', businessId: 'someone-else' });
    const logged = lines.length;
    const wokenBefore = woken.length;
    expect((await post(JSON.stringify(e))).status).toBe(200);
    const mine = lines.slice(logged).filter((l) => l.msg === 'webhook event for a task this bot does not know');
    expect(mine).toHaveLength(1);
    expect(woken.length).toBe(wokenBefore);
  });

  it('finds the job by task id when the event has no client_business_id; a failure event carries its error', async () => {
    const e = event({ taskId: 'video_only_task', businessId: null, status: 'FAILURE' });
    expect((await post(JSON.stringify(e))).status).toBe(200);
    const stored = await createPushedResultRepo(store).get('job-by-task');
    expect(stored?.task).toMatchObject({ status: 'failed', error: { message: 'Generation failed: upstream said no' } });
    expect(woken.at(-1)).toBe('job-by-task');
  });

  it('endpoint.test is acknowledged and wakes nothing', async () => {
    const e = { id: `evt_ping_${++n}`, type: 'endpoint.test', api_version: 'v1', created_at: Math.floor(Date.now() / 1000), data: null };
    const wokenBefore = woken.length;
    expect((await post(JSON.stringify(e))).status).toBe(200);
    expect(woken.length).toBe(wokenBefore);
  });

  it('POST only: GET → 405 with Allow: POST', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('a body over the cap → 413, nothing stored', async () => {
    const e = { ...event(), padding: 'x'.repeat(WEBHOOK_MAX_BODY_BYTES) };
    const before = await footprint(e.id);
    const res = await post(JSON.stringify(e));
    expect(res.status).toBe(413);
    expect(await footprint(e.id)).toEqual(before);
  });

  it('missing headers → 400; a signed body that is not an event → 400; nothing stored', async () => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(event()) });
    expect(res.status).toBe(400);
    const notEvent = JSON.stringify({ id: 'evt_weird', hello: 'world' });
    expect((await post(notEvent)).status).toBe(400);
    expect((await footprint('evt_weird')).seen).toBe(false);
  });
});

describe('webhook event helpers', () => {
  it('verifySignature compares every v1= and refuses malformed headers', () => {
    const body = Buffer.from('{"id":"evt_1"}');
    const sig = webhookSignature(SECRET, 'evt_1', '1700000000', body);
    expect(verifySignature({ id: 'evt_1', timestamp: '1700000000', signature: `v1=${'0'.repeat(64)},v1=${sig}` }, body, [SECRET])).toBeUndefined();
    expect(verifySignature({ id: 'evt_1', timestamp: '1700000001', signature: `v1=${sig}` }, body, [SECRET])).toBe('signature');
    expect(verifySignature({ id: 'evt_1', timestamp: 'soon', signature: `v1=${sig}` }, body, [SECRET])).toBe('missing_headers');
    expect(verifySignature({ id: 'evt_1', timestamp: '1700000000' }, body, [SECRET])).toBe('missing_headers');
  });

  it('taskFromEvent: a SUCCESS without a video URL does not pass as a completed task', () => {
    const e = WebhookEventSchema.parse({ ...event(), data: { ...event().data, result: null } });
    expect(taskFromEvent(e)).toBeUndefined();
  });
});
