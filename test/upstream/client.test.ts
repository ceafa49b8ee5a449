import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamClient, type SubmitBody, type UpstreamClientOptions, type UpstreamRequestInfo } from '../../src/upstream/client.js';
import { downloadBytes } from '../../src/upstream/download.js';
import {
  UpstreamAuthError,
  UpstreamBadRequestError,
  UpstreamContentRefusedError,
  UpstreamHttpError,
  UpstreamInsufficientCreditsError,
  UpstreamInvalidResponseError,
  UpstreamNetworkError,
  UpstreamNotFoundError,
  UpstreamRateLimitError,
  UpstreamServerError,
  UpstreamTimeoutError,
} from '../../src/upstream/errors.js';
import { RATE_LIMITED_RETRIES } from '../../src/upstream/retry.js';
import { taskPhase } from '../../src/upstream/schemas.js';
import { startFakeToapis, type FakeToapis, type FakeToapisOptions } from '../fakes/toapis.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const START = Date.UTC(2026, 0, 15, 12, 0, 0);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(fakeOptions: FakeToapisOptions = {}, clientOptions: Partial<UpstreamClientOptions> = {}) {
  let clock = START;
  const fake = await startFakeToapis({ now: () => clock, ...fakeOptions });
  const agent = new Agent({ keepAliveTimeout: 1_000 });
  cleanups.push(
    () => fake.close(),
    () => agent.destroy(),
  );
  const waits: number[] = [];
  const requests: UpstreamRequestInfo[] = [];
  let acquired = 0;
  const client = createUpstreamClient({
    baseUrl: fake.url,
    apiKey: 'sk-test-key',
    dispatcher: agent,
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    onRequest: (info) => requests.push(info),
    rateLimiter: {
      acquire: async () => {
        acquired += 1;
      },
    },
    ...clientOptions,
  });
  return {
    fake,
    client,
    agent,
    waits,
    requests,
    acquired: () => acquired,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const submitBody = (overrides: Partial<SubmitBody> = {}): SubmitBody => ({
  model: 'viduq3-turbo',
  prompt: 'a red fox running through snow',
  duration: 5,
  resolution: '720p',
  aspect_ratio: '16:9',
  audio: false,
  client_business_id: 'interaction-1234',
  ...overrides,
});

function submitJson(fake: FakeToapis): Record<string, unknown>[] {
  return fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos/generations').map((r) => r.json as Record<string, unknown>);
}

describe('uploadImage', () => {
  it('uploads multipart with field file and purpose=generation, and the URL serves the bytes', async () => {
    const { fake, client, agent } = await setup();
    const result = await client.uploadImage({ bytes: PNG, filename: 'cat.png', mimeType: 'image/png' });

    expect(result.id).toMatch(/^upload_[0-9a-f]{8}$/);
    expect(result.url).toBe(`${fake.url}/files/uploads/${result.id}.png`);
    expect(fake.stats.uploads).toBe(1);
    const [upload] = fake.uploads;
    expect(upload?.bytes.equals(PNG)).toBe(true);
    expect(upload?.filename).toBe('cat.png');
    expect(upload?.declaredMimeType).toBe('image/png');
    expect(upload?.mimeType).toBe('image/png');
    expect(upload?.purpose).toBe('generation');
    const recorded = fake.requests.find((r) => r.path === '/v1/uploads/images');
    expect(recorded?.headers.authorization).toBe('Bearer sk-test-key');
    expect(recorded?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);

    const served = await downloadBytes(result.url, { maxBytes: 1_000, timeoutMs: 5_000, dispatcher: agent });
    expect(served.equals(PNG)).toBe(true);
  });

  it('rejects a non-image with a readable 400 and does not retry', async () => {
    const { fake, client, waits } = await setup();
    const err = await client.uploadImage({ bytes: Buffer.from('%PDF-1.7 not an image'), filename: 'doc.png', mimeType: 'image/png' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamBadRequestError);
    expect((err as UpstreamBadRequestError).upstreamMessage).toBe('Unsupported image type. Allowed: JPEG, PNG, WebP, GIF');
    expect((err as Error).message).toContain('Unsupported image type');
    expect(fake.stats.uploadRequests).toBe(1);
    expect(fake.stats.uploads).toBe(0);
    expect(waits).toEqual([]);
  });

  it('retries an upload after a 502 proxy page', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'upload', fault: { status: 502 } });
    const result = await client.uploadImage({ bytes: PNG, filename: 'a.png', mimeType: 'image/png' });
    expect(result.url).toContain('/files/uploads/');
    expect(fake.stats.uploadRequests).toBe(2);
    expect(fake.stats.uploads).toBe(1);
    expect(waits).toHaveLength(1);
  });
});

describe('submit', () => {
  it('posts the JSON body with auth and returns the queued task', async () => {
    const { fake, client, requests, acquired } = await setup();
    const task = await client.submit(submitBody());

    expect(task.id).toMatch(/^video_/);
    expect(task.status).toBe('queued');
    expect(taskPhase(task.status)).toBe('queued');
    expect(task.progress).toBe(0);
    expect(task.created_at).toBe(START / 1000);
    expect(task.client_business_id).toBe('interaction-1234');
    expect(fake.stats.tasksCreated).toBe(1);
    expect(fake.tasks.get(task.id)?.body).toEqual(submitBody());

    const recorded = fake.requests.find((r) => r.path === '/v1/videos/generations');
    expect(recorded?.headers.authorization).toBe('Bearer sk-test-key');
    expect(recorded?.headers.accept).toBe('application/json');
    expect(recorded?.headers['content-type']).toBe('application/json');
    expect(requests).toEqual([{ op: 'submit', path: '/v1/videos/generations', outcome: 'ok', status: 200, durationMs: 0 }]);
    expect(acquired()).toBe(1);
  });

  it('is rejected by the fake like upstream: aspect_ratio with images, data: URLs, bad duration', async () => {
    const { fake, client } = await setup();
    const withImages = client.submit(submitBody({ image_urls: ['https://example.com/a.png'] }));
    await expect(withImages).rejects.toBeInstanceOf(UpstreamBadRequestError);
    await expect(withImages).rejects.toThrow(/aspect_ratio cannot be used with image_urls/);
    const dataUrl = client.submit(submitBody({ aspect_ratio: undefined, image_urls: ['data:image/png;base64,AAAA'] }));
    await expect(dataUrl).rejects.toThrow(/base64/);
    await expect(client.submit(submitBody({ model: 'viduq3', image_urls: undefined, aspect_ratio: undefined }))).rejects.toThrow(
      /viduq3 requires 1 to 7 image_urls/,
    );
    await expect(client.submit(submitBody({ duration: 17 }))).rejects.toThrow(/duration/);
    expect(fake.stats.tasksCreated).toBe(0);
    expect(fake.stats.submitRequests).toBe(4);
  });

  it('retries after 503 and after 429, honouring Retry-After: 1 exactly', async () => {
    const { fake, client, waits, requests } = await setup();
    fake.inject({ path: 'submit', fault: { status: 503 } });
    fake.inject({ path: 'submit', fault: { status: 429, retryAfter: '1' } });
    const task = await client.submit(submitBody());

    // First wait: full jitter 0.5 × 500 ms; second: the upstream's Retry-After.
    expect(waits).toEqual([250, 1000]);
    expect(fake.stats.submitRequests).toBe(3);
    expect(fake.stats.tasksCreated).toBe(1);
    expect(requests.map((r) => r.outcome)).toEqual(['server', 'rate_limited', 'ok']);
    expect(requests.map((r) => r.status)).toEqual([503, 429, 200]);
    expect(task.id).toBe([...fake.tasks.keys()][0]);
    expect(new Set(submitJson(fake).map((b) => b.client_business_id))).toEqual(new Set(['interaction-1234']));
  });

  it('hands a Retry-After longer than the cap to the caller instead of sleeping through it', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'submit', fault: { status: 429, retryAfter: '120' } });
    const err = await client.submit(submitBody()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimitError);
    expect((err as UpstreamRateLimitError).retryAfterMs).toBe(120_000);
    expect(waits).toEqual([]);
    expect(fake.stats.submitRequests).toBe(1);
  });

  it('honours an HTTP-date Retry-After', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'submit', fault: { status: 429, retryAfter: new Date(START + 5_000).toUTCString() } });
    await client.submit(submitBody());
    expect(waits).toEqual([5_000]);
  });

  it('gives up with UpstreamRateLimitError after RATE_LIMITED_RETRIES 429s (they do not use the 2 submit retries)', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'submit', times: 20, fault: { status: 429, retryAfter: '2' } });
    const err = await client.submit(submitBody()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimitError);
    expect((err as UpstreamRateLimitError).retryAfterMs).toBe(2_000);
    expect(fake.stats.submitRequests).toBe(RATE_LIMITED_RETRIES + 1);
    expect(waits).toEqual(Array.from({ length: RATE_LIMITED_RETRIES }, () => 2_000));
  });

  it('replays the same client_business_id after the answer was lost: one task', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'submit', fault: { afterCommit: 'reset' } });
    const task = await client.submit(submitBody());

    expect(fake.stats.submitRequests).toBe(2);
    expect(fake.stats.tasksCreated).toBe(1);
    expect(fake.tasks.size).toBe(1);
    expect(fake.tasks.has(task.id)).toBe(true);
    expect(submitJson(fake).map((b) => b.client_business_id)).toEqual(['interaction-1234', 'interaction-1234']);
    expect(waits).toHaveLength(1);
  });

  it('does not retry 402 insufficient balance', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'submit', fault: { status: 402 } });
    const err = await client.submit(submitBody()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamInsufficientCreditsError);
    expect((err as UpstreamInsufficientCreditsError).upstreamMessage).toBe('Insufficient balance');
    expect(fake.stats.submitRequests).toBe(1);
    expect(fake.stats.tasksCreated).toBe(0);
    expect(waits).toEqual([]);
  });

  it('maps 422 to UpstreamContentRefusedError without retry', async () => {
    const { fake, client } = await setup();
    fake.inject({ path: 'submit', fault: { status: 422 } });
    await expect(client.submit(submitBody())).rejects.toBeInstanceOf(UpstreamContentRefusedError);
    expect(fake.stats.submitRequests).toBe(1);
  });

  it('maps a wrong key to UpstreamAuthError and never shows the key', async () => {
    const secret = 'sk-wrong-SECRET-0123456789';
    const { fake, client } = await setup({}, { apiKey: secret });
    const err = await client.submit(submitBody()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAuthError);
    expect((err as UpstreamAuthError).status).toBe(401);
    expect((err as UpstreamAuthError).upstreamMessage).toBe('Authentication failed, please check your API key');
    expect(fake.stats.submitRequests).toBe(1);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${secret}`);
    const e = err as Error;
    for (const text of [e.message, String(e), JSON.stringify(e), e.stack ?? '']) {
      expect(text).not.toContain('SECRET');
    }
  });
});

describe('getTask', () => {
  it('follows queued → in_progress → completed with the documented fields', async () => {
    const { fake, client, advance, agent } = await setup({ plan: { queuedMs: 5_000, runMs: 60_000 } });
    const { id } = await client.submit(submitBody());

    const queued = await client.getTask(id);
    expect([queued.status, queued.progress, taskPhase(queued.status)]).toEqual(['queued', 0, 'queued']);

    advance(35_000);
    const running = await client.getTask(id);
    expect(running.status).toBe('in_progress');
    expect(taskPhase(running.status)).toBe('running');
    expect(running.progress).toBe(50);
    expect(running.result).toBeUndefined();

    advance(30_000);
    const done = await client.getTask(id);
    expect(done.status).toBe('completed');
    expect(taskPhase(done.status)).toBe('completed');
    expect(done.progress).toBe(100);
    expect(done.completed_at).toBe(START / 1000 + 65);
    expect(done.expires_at).toBe(START / 1000 + 65 + 86_400);
    expect(done.result?.type).toBe('video');
    expect(done.result?.data[0]?.format).toBe('mp4');
    const url = done.result?.data[0]?.url ?? '';
    expect(url).toBe(`${fake.url}/files/videos/${id}.mp4`);

    const video = await downloadBytes(url, { maxBytes: 1_000_000, timeoutMs: 5_000, dispatcher: agent });
    expect(video.equals(fake.videoBytes(id))).toBe(true);
    expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(fake.stats.statusRequests).toBe(3);
  });

  it('reports a failed task (HTTP 200) with its error', async () => {
    const { client, advance } = await setup({ plan: { queuedMs: 0, runMs: 1_000, outcome: 'failed', failMessage: 'upstream returned status 422' } });
    const { id } = await client.submit(submitBody());
    advance(1_000);
    const task = await client.getTask(id);
    expect(task.status).toBe('failed');
    expect(taskPhase(task.status)).toBe('failed');
    expect(task.error).toEqual({ code: 'generation_failed', message: 'Generation failed: upstream returned status 422' });
    expect(task.result).toBeUndefined();
  });

  it('treats an unknown status value as running', async () => {
    const { client, fake } = await setup();
    fake.nextTasks.push({ statusOverride: 'processing', neverFinish: true, queuedMs: 0, progressSteps: [10, 40] });
    const { id } = await client.submit(submitBody());
    const task = await client.getTask(id);
    expect(task.status).toBe('processing');
    expect(taskPhase(task.status)).toBe('running');
    expect(task.progress).toBe(10);
  });

  it('finds a task by its client_business_id', async () => {
    const { client } = await setup();
    const { id } = await client.submit(submitBody({ client_business_id: 'cbid/with space' }));
    const task = await client.getTask('cbid/with space');
    expect(task.id).toBe(id);
    expect(task.client_business_id).toBe('cbid/with space');
  });

  it('maps an unknown id to UpstreamNotFoundError without retry', async () => {
    const { fake, client } = await setup();
    const err = await client.getTask('video_nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamNotFoundError);
    expect((err as UpstreamNotFoundError).upstreamMessage).toBe('Task not found');
    expect((err as UpstreamNotFoundError).requestPath).toBe('/v1/videos/generations/video_nope');
    expect(fake.stats.statusRequests).toBe(1);
  });

  it('maps malformed JSON to UpstreamInvalidResponseError without retry', async () => {
    const { fake, client } = await setup();
    const { id } = await client.submit(submitBody());
    fake.inject({ path: 'status', fault: { malformed: true } });
    const err = await client.getTask(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamInvalidResponseError);
    expect((err as Error).message).toContain('not JSON');
    expect(fake.stats.statusRequests).toBe(1);
  });

  it('rejects a completed task without a video URL as invalid', async () => {
    const { fake, client } = await setup();
    fake.inject({ path: 'status', fault: { json: { id: 'video_x', status: 'completed', progress: 100, created_at: 1, result: { data: [] } } } });
    await expect(client.getTask('video_x')).rejects.toBeInstanceOf(UpstreamInvalidResponseError);
  });

  it('refuses a response body over 1 MiB', async () => {
    const { fake, client } = await setup();
    fake.inject({ path: 'status', fault: { json: { id: 'video_x', status: 'queued', created_at: 1, pad: 'x'.repeat(1_100_000) } } });
    const err = await client.getTask('video_x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamInvalidResponseError);
    expect((err as Error).message).toMatch(/exceeds 1048576|larger than 1048576/);
  });

  it('times out a hung request with UpstreamTimeoutError, within the read budget', async () => {
    const { fake, client, waits, requests } = await setup({}, { timeoutMs: 200, retry: { read: { maxRetries: 1 } } });
    fake.inject({ path: 'status', times: 5, fault: { hang: true } });
    const started = Date.now();
    const err = await client.getTask('video_x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTimeoutError);
    expect((err as UpstreamTimeoutError).timeoutMs).toBe(200);
    // Counted on our side: on a loaded machine a request may time out before the fake sees it.
    expect(requests.map((r) => r.outcome)).toEqual(['timeout', 'timeout']);
    expect(fake.stats.statusRequests).toBeLessThanOrEqual(2);
    expect(waits).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('retries connection resets, then fails with UpstreamNetworkError', async () => {
    const { fake, client, waits, requests } = await setup();
    fake.inject({ path: 'status', times: 10, fault: { reset: true } });
    const err = await client.getTask('video_x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamNetworkError);
    expect((err as UpstreamNetworkError).cause).toBeInstanceOf(Error);
    expect(fake.stats.statusRequests).toBe(5); // 1 + read budget of 4 retries
    expect(waits).toEqual([250, 500, 1000, 2000]);
    expect(requests.every((r) => r.outcome === 'network')).toBe(true);
  });

  it('recovers when a reset is followed by an answer', async () => {
    const { fake, client } = await setup();
    const { id } = await client.submit(submitBody());
    fake.inject({ path: 'status', times: 2, fault: { reset: true } });
    const task = await client.getTask(id);
    expect(task.id).toBe(id);
    expect(fake.stats.statusRequests).toBe(3);
  });

  it("stops at once on the caller's abort, without retrying", async () => {
    const { fake, client, waits, requests } = await setup();
    fake.inject({ path: 'status', times: 5, fault: { hang: true } });
    const controller = new AbortController();
    const pending = client.getTask('video_x', controller.signal).catch((e: unknown) => e);
    await expect.poll(() => fake.stats.statusRequests).toBe(1);
    controller.abort();
    const err = await pending;
    expect((err as Error).name).toBe('AbortError');
    expect(fake.stats.statusRequests).toBe(1);
    expect(requests.map((r) => r.outcome)).toEqual(['aborted']);
    expect(waits).toEqual([]);
  });

  it('maps a 500 on status to UpstreamServerError after the read budget', async () => {
    const { fake, client } = await setup({}, { retry: { read: { maxRetries: 2 } } });
    fake.inject({ path: 'status', times: 5, fault: { status: 500 } });
    await expect(client.getTask('video_x')).rejects.toBeInstanceOf(UpstreamServerError);
    expect(fake.stats.statusRequests).toBe(3);
  });
});

describe('getBalance', () => {
  it('reads remain, used and unlimited', async () => {
    const { client, fake } = await setup({ balance: { remain: 10.5, used: 2.3 } });
    expect(await client.getBalance()).toEqual({ remain: 10.5, used: 2.3, unlimited: false });
    fake.balance.unlimited = true;
    expect(await client.getBalance()).toEqual({ remain: -1, used: 2.3, unlimited: true });
  });

  it('treats HTTP 200 {success:false} as UpstreamHttpError', async () => {
    const { client, fake } = await setup();
    fake.inject({ path: 'balance', fault: { json: { success: false, message: 'Token sk-abc123 disabled' } } });
    const err = await client.getBalance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect((err as UpstreamHttpError).status).toBe(200);
    expect((err as UpstreamHttpError).upstreamMessage).toBe('Token [redacted] disabled');
    expect(fake.stats.balanceRequests).toBe(1);
  });
});
