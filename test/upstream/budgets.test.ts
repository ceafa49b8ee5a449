/**
 * The documented budgets end to end: the real client, real token buckets and the fake toapis
 * enforcing §8's buckets with their headers, on one driven clock (the client's `sleep` moves it).
 */
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamClient, type SubmitBody } from '../../src/upstream/client.js';
import {
  UpstreamBadRequestError,
  UpstreamRateLimitError,
  UpstreamRateLimitUnavailableError,
  UpstreamServerError,
  UpstreamWebhookNotConfiguredError,
  readRateHeaders,
} from '../../src/upstream/errors.js';
import { createTokenBucket } from '../../src/upstream/ratelimit.js';
import { LIMITER_DOWN_RETRIES, RATE_LIMITED_RETRIES, RETRY_DEFAULTS } from '../../src/upstream/retry.js';
import { startFakeToapis, type FakeToapisOptions } from '../fakes/toapis.js';

const START = Date.UTC(2026, 7, 20, 12, 0, 0);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const OURS = { submit: { ratePerSecond: 100, burst: 100 }, read: { ratePerSecond: 100, burst: 100 } };

/** `realClock`: real time and real sleeps (for tests where a bucket must refill). */
async function setup(fakeOptions: FakeToapisOptions = {}, realClock = false, ours = OURS) {
  let clock = START;
  const now = realClock ? Date.now : () => clock;
  const fake = await startFakeToapis({ now, ...fakeOptions });
  const agent = new Agent({ keepAliveTimeout: 1_000 });
  cleanups.push(
    () => fake.close(),
    () => agent.destroy(),
  );
  const waits: number[] = [];
  const buckets = { submit: createTokenBucket({ ...ours.submit, now }), read: createTokenBucket({ ...ours.read, now }) };
  const hooks: { onSleep?: (n: number) => void } = {};
  const client = createUpstreamClient({
    baseUrl: fake.url,
    apiKey: 'sk-test-key',
    dispatcher: agent,
    now,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      if (realClock) await new Promise((r) => setTimeout(r, ms));
      else clock += ms;
      hooks.onSleep?.(waits.length);
    },
    rateLimits: buckets,
  });
  return { fake, client, waits, buckets, hooks };
}

let seq = 0;
const body = (overrides: Partial<SubmitBody> = {}): SubmitBody => ({
  model: 'viduq3-turbo',
  prompt: 'a lighthouse in a storm',
  duration: 4,
  client_business_id: `job-${++seq}`,
  ...overrides,
});

describe('the documented buckets against the fake toapis', () => {
  it('a 429 is obeyed (Retry-After) and does not use up the retry budget', async () => {
    const { fake, client, waits } = await setup();
    fake.inject({ path: 'submit', times: RETRY_DEFAULTS.submit.maxRetries + 2, fault: { status: 429, retryAfter: '3' } });
    const task = await client.submit(body());
    expect(task.id).toMatch(/^video_/);
    expect(fake.stats.tasksCreated).toBe(1);
    // More 429s than a submit's retries, each followed by exactly the wait it asked for.
    expect(waits).toEqual(Array.from({ length: RETRY_DEFAULTS.submit.maxRetries + 2 }, () => 3_000));
  });

  it('endless 429s end after RATE_LIMITED_RETRIES with a rate-limit error, nothing created', async () => {
    const { fake, client } = await setup();
    fake.inject({ path: 'submit', times: RATE_LIMITED_RETRIES + 1, fault: { status: 429, retryAfter: '1' } });
    await expect(client.submit(body())).rejects.toBeInstanceOf(UpstreamRateLimitError);
    expect(fake.stats.submitRequests).toBe(RATE_LIMITED_RETRIES + 1);
    expect(fake.stats.tasksCreated).toBe(0);
  });

  it('the fake’s own bucket refuses with 429 + headers; the client waits Retry-After and gets through', async () => {
    // Someone else on the account spent the upstream budget: our bucket is fuller than theirs.
    const { fake, client, waits } = await setup({ rateLimits: { submit: { ratePerSecond: 1, burst: 2 }, query: { ratePerSecond: 50, burst: 500 } } }, true);
    const startedAt = Date.now();
    const tasks = await Promise.all(Array.from({ length: 4 }, () => client.submit(body())));
    expect(new Set(tasks.map((t) => t.id)).size).toBe(4);
    expect(fake.stats.tasksCreated).toBe(4);
    // At least the two past the burst were refused; every refusal was followed by its Retry-After.
    const refused = fake.requests.filter((r) => r.method === 'POST').length - 4;
    expect(refused).toBe(fake.stats.rateLimited.submit);
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(waits).toEqual(Array.from({ length: refused }, () => 1_000));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('in step with the upstream’s Remaining, with the same budget as the upstream a run sees no 429 at all', async () => {
    const budget = { submit: { ratePerSecond: 20, burst: 2 }, query: { ratePerSecond: 50, burst: 500 } };
    const { fake, client } = await setup({ rateLimits: budget }, true, { submit: budget.submit, read: budget.query });
    const startedAt = Date.now();
    for (let i = 0; i < 6; i++) await client.submit(body());
    expect(fake.stats.tasksCreated).toBe(6);
    expect(fake.stats.rateLimited.submit).toBe(0);
    // 4 past the burst at 20/s.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
  });

  it('X-RateLimit-Remaining lowers our bucket to the upstream’s count', async () => {
    const { client, buckets } = await setup({ rateLimits: { submit: { ratePerSecond: 5, burst: 10 }, query: { ratePerSecond: 50, burst: 500 } } });
    await client.submit(body());
    expect(buckets.submit.tokens).toBeCloseTo(9, 6);
    // Status reads are charged to the query bucket only.
    const before = buckets.submit.tokens;
    await client.getTask('video_missing').catch(() => undefined);
    expect(buckets.submit.tokens).toBeCloseTo(before, 6);
    expect(buckets.read.tokens).toBeCloseTo(99, 6);
  });

  it('503 rate_limit_unavailable on submit is retried with backoff beyond the 5xx budget while status reads go on', async () => {
    const { fake, client, waits, hooks } = await setup();
    const first = await client.submit(body());
    fake.submitLimiterDown = true;
    const reads: string[] = [];
    hooks.onSleep = (n) => {
      if (n === 4) fake.submitLimiterDown = false;
    };
    const pending = client.submit(body());
    reads.push((await client.getTask(first.id)).id);
    const second = await pending;
    expect(second.id).not.toBe(first.id);
    expect(reads).toEqual([first.id]);
    expect(waits).toHaveLength(4);
    expect(waits.length).toBeGreaterThan(RETRY_DEFAULTS.submit.maxRetries);
    // Full-jitter exponential backoff (random 0.5): half of 0.5, 1, 2, 4 s.
    expect(waits).toEqual([250, 500, 1_000, 2_000]);
  });

  it('a submit limiter that stays down ends in a typed server error, nothing created', async () => {
    const { fake, client } = await setup();
    fake.submitLimiterDown = true;
    const err = await client.submit(body()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimitUnavailableError);
    expect(err).toBeInstanceOf(UpstreamServerError);
    expect(fake.stats.submitRequests).toBe(LIMITER_DOWN_RETRIES + 1);
    expect(fake.stats.tasksCreated).toBe(0);
  });

  it('400 webhook_not_configured is its own bad-request class and is not retried', async () => {
    const { fake, client } = await setup();
    const err = await client.submit(body({ metadata: { callback_url: 'https://bot.example.org/webhooks/toapis' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamWebhookNotConfiguredError);
    expect(err).toBeInstanceOf(UpstreamBadRequestError);
    expect(fake.stats.submitRequests).toBe(1);
    expect(fake.stats.tasksCreated).toBe(0);
  });
});

describe('readRateHeaders', () => {
  const now = START;
  it.each([
    [
      { 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': String(now / 1000 + 3) },
      { remaining: 7, resetMs: 3_000 },
    ],
    [{ 'x-ratelimit-reset': '2' }, { resetMs: 2_000 }],
    [{ 'x-ratelimit-reset': String(now + 1_500) }, { resetMs: 1_500 }],
    [
      { 'retry-after': '4', 'x-ratelimit-category': 'async_submit' },
      { retryAfterMs: 4_000, category: 'async_submit' },
    ],
    [{ 'x-ratelimit-remaining': 'lots', 'x-ratelimit-reset': '-1', 'x-ratelimit-category': 'DROP TABLE' }, {}],
  ])('%j', (headers, expected) => {
    expect(readRateHeaders(headers, now)).toEqual(expected);
  });
});
