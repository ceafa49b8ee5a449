/**
 * A fake toapis.com on a real local HTTP server, following shared/upstream/toapis-vidu.md
 * exactly — including its failure shapes — and never kinder than the real service: it
 * validates submits by the stricter reading of the docs, rejects non-images and data: URLs,
 * requires the exact bearer key, and serves video files only while they live.
 *
 * Time comes from `options.now` so a test can drive task lifecycles with a fake clock.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How one task behaves over time, counted from its creation (in `now()` milliseconds). */
export interface FakeTaskPlan {
  /** Time spent `queued`, in ms. */
  queuedMs: number;
  /** Time spent `in_progress` after the queue, in ms. */
  runMs: number;
  /** Terminal state reached after `queuedMs + runMs`. */
  outcome: 'completed' | 'failed';
  /** mp4 bytes served at `/files/videos/<id>.mp4`. Default: a small buffer starting with an `ftyp` box. */
  video?: Buffer;
  /** Appended to `"Generation failed: "` for a failed task. */
  failMessage?: string;
  /** Progress values walked through evenly while running (default: linear 1–99). */
  progressSteps?: number[];
  /** When set, `result.data[0].last_frame_url` points at these bytes. */
  lastFrame?: Buffer;
  /** Status string reported instead of `queued`/`in_progress` (e.g. `"processing"`). */
  statusOverride?: string;
  /** Stay running forever. */
  neverFinish?: boolean;
  /** `result.data[0].url` reported instead of the fake's own file URL (a hostile or broken upstream). */
  videoUrl?: string;
  /** The fake's video file answers `302 Location: <this>` instead of the bytes. */
  videoRedirect?: string;
}

/** Default lifecycle: 2 s queued, 8 s running, then completed. */
export const FAKE_DEFAULT_PLAN: FakeTaskPlan = { queuedMs: 2_000, runMs: 8_000, outcome: 'completed' };

/** Which endpoint a fault applies to. */
export type FakePath = 'submit' | 'status' | 'upload' | 'video' | 'balance';

/**
 * A scripted failure:
 * - `{status}`: answer with that status and its documented body (`retryAfter` → `Retry-After`);
 *   400 on `upload` uses the upload envelope, 502/504 are proxy HTML pages.
 * - `{hang}`: never answer (until `close()`). `{reset}`: destroy the socket at once.
 * - `{malformed}`: 200 with truncated JSON. `{json}`: 200 (or `status`) with this exact body.
 * - `{truncateVideo}` (video): full Content-Length, half the body, then a reset.
 * - `{afterCommit: 'reset'}` (submit): create the task, then destroy the socket.
 * - `{afterCommit: 'hang'}` (submit): create the task, then never answer (the caller dies waiting).
 */
export type FakeFault =
  | { status: number; retryAfter?: string; message?: string }
  | { hang: true }
  | { reset: true }
  | { malformed: true }
  | { json: unknown; status?: number }
  | { truncateVideo: true }
  | { afterCommit: 'reset' | 'hang' };

export interface FakeInjection {
  path: FakePath;
  /** How many matching requests get the fault. Default 1. */
  times?: number;
  fault: FakeFault;
}

/** A task as the fake stores it. */
export interface FakeTask {
  id: string;
  model: string;
  clientBusinessId?: string;
  /** The submit body as received. */
  body: Record<string, unknown>;
  /** `now()` at creation, in ms. */
  createdAtMs: number;
  plan: FakeTaskPlan;
  video: Buffer;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, when the request carried one. */
  json?: unknown;
}

export interface RecordedUpload {
  id: string;
  url: string;
  bytes: Buffer;
  filename: string;
  /** Content type the client declared for the part. */
  declaredMimeType: string;
  /** Content type from the magic bytes. */
  mimeType: string;
  purpose?: string;
}

export interface FakeStats {
  /** Every `POST /v1/videos/generations` that reached the server (faulted, rejected or not). */
  submitRequests: number;
  /** Tasks actually created (idempotent replays do not count). */
  tasksCreated: number;
  statusRequests: number;
  /** Successful uploads. */
  uploads: number;
  uploadRequests: number;
  videoDownloads: number;
  balanceRequests: number;
  /** Requests refused with 429 by the buckets, per bucket. */
  rateLimited: { submit: number; query: number };
  /** Submits refused with `400 webhook_not_configured`. */
  webhookNotConfigured: number;
}

/** A documented bucket (upstream/toapis-vidu.md §8): `ratePerSecond` refills, `burst` holds. */
export interface FakeBucket {
  ratePerSecond: number;
  burst: number;
}

/**
 * Task webhooks as §8 documents them. With `url` (the Token's default URL), every task reports
 * its final event there; `metadata.callback_url` overrides it per task. Without `url` and
 * without `enabled`, a submit carrying `callback_url` is refused with `400 webhook_not_configured`.
 */
export interface FakeWebhookOptions {
  /** The Token's default URL (may be http://127.0.0.1 here; the real service wants public https). */
  url?: string;
  /** Signing secrets, newest first: all of them sign each delivery (a rotation sends two). */
  secrets: string[];
  /** Waits before the retries of a non-2xx delivery, ms. Default 100, 300, 1000 (scaled from 10 s, 30 s, 2 min). */
  retryDelaysMs?: number[];
  /** Per-attempt timeout, ms. Default 10 000. */
  timeoutMs?: number;
}

/** One webhook delivery attempt the fake made. */
export interface FakeWebhookAttempt {
  eventId: string;
  taskId: string;
  url: string;
  /** 1 = first delivery. */
  attempt: number;
  /** Unix seconds sent in `X-ToAPIs-Webhook-Timestamp`. */
  timestamp: number;
  /** Receiver's HTTP status, or 0 when the request failed. */
  status: number;
  /** `Date.now()` when the answer came. */
  at: number;
}

export interface FakeToapisOptions {
  /** Enforce the documented submit/query buckets (429 + `X-RateLimit-*` headers). Default: off. */
  rateLimits?: { submit: FakeBucket; query: FakeBucket };
  /** Task webhooks; see {@link FakeWebhookOptions}. Default: off (and not configured). */
  webhook?: FakeWebhookOptions;
  /** The only accepted key. Default `'sk-test-key'`. */
  apiKey?: string;
  /** Clock in epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Overrides of {@link FAKE_DEFAULT_PLAN} for every task. */
  plan?: Partial<FakeTaskPlan>;
  /** Per-submit plan (applied over `plan`; `nextTasks` wins over both). */
  planFor?: (body: Record<string, unknown>) => Partial<FakeTaskPlan> | undefined;
  /** Initial balance. Default remain 100, used 0. */
  balance?: { remain: number; used: number; unlimited?: boolean };
  /**
   * Random faults (the soak): asked for every request that no {@link FakeToapis.inject} rule
   * matched; a fault it returns applies exactly like an injected one. Default none.
   */
  chaos?: (path: FakePath) => FakeFault | undefined;
}

export interface FakeToapis {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** Plans consumed in order by the next created tasks. */
  nextTasks: Partial<FakeTaskPlan>[];
  stats: FakeStats;
  tasks: Map<string, FakeTask>;
  requests: RecordedRequest[];
  uploads: RecordedUpload[];
  /** Mutable balance reported by `/v1/balance`. */
  balance: { remain: number; used: number; unlimited: boolean };
  inject(injection: FakeInjection): void;
  /** The webhook settings in force (mutable: a test points `url` at the bot once it listens). */
  webhookConfig: FakeWebhookOptions | undefined;
  /** While true, submits get `503 rate_limit_unavailable` (status queries keep working). */
  submitLimiterDown: boolean;
  /** Webhook controls: lose, duplicate or age events; every attempt made. */
  webhooks: {
    attempts: FakeWebhookAttempt[];
    /** The next this-many final events are never sent (lost). */
    lose: number;
    /** Send each of the next this-many events twice (same id, at least once delivery). */
    duplicate: number;
    /** Stamp the next this-many first deliveries this many seconds in the past. */
    stale: { count: number; ageS: number };
    /** Sends (or re-sends) the final event of a finished task now, with the same event id. */
    send(taskId: string): Promise<void>;
    /**
     * Asked once per final event before it is sent (the soak's seeded faults): lose it, send it
     * late (ms after the finish) or twice. Default: every event on time, once.
     */
    chaos?: () => { lose: boolean; delayMs: number; duplicate: boolean };
  };
  /** When the final event of a task was first due (its finish time, `Date.now()` ms). */
  finishedAt: Map<string, number>;
  /** The mp4 bytes of a task (throws for an unknown id). */
  videoBytes(taskId: string): Buffer;
  /** Stops the server and destroys every socket, hung ones included. */
  close(): Promise<void>;
}

const MODELS = new Set(['viduq3-pro', 'viduq3-turbo', 'viduq3']);
const RESOLUTIONS = new Set(['540p', '720p', '1080p']);
const ASPECT_RATIOS = new Set(['16:9', '9:16', '1:1', '4:3', '3:4']);
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const URL_LIFETIME_S = 24 * 60 * 60;

/** A small buffer that is a plausible mp4 start: `ftyp` box, a `free` box naming the task, an `mdat`. */
export function fakeMp4(label: string, payloadBytes = 2_048): Buffer {
  const box = (type: string, body: Buffer): Buffer => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(8 + body.length, 0);
    header.write(type, 4, 'latin1');
    return Buffer.concat([header, body]);
  };
  const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2mp41', 'latin1')]));
  const payload = Buffer.alloc(payloadBytes);
  for (let i = 0; i < payloadBytes; i++) payload[i] = (i * 31 + label.length) & 0xff;
  return Buffer.concat([ftyp, box('free', Buffer.from(label, 'utf8')), box('mdat', payload)]);
}

/** Image type from magic bytes, as the upload endpoint checks it. */
function sniffImage(bytes: Buffer): { mime: string; ext: string } | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { mime: 'image/jpeg', ext: 'jpg' };
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { mime: 'image/png', ext: 'png' };
  }
  const head = bytes.subarray(0, 12).toString('latin1');
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return { mime: 'image/gif', ext: 'gif' };
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return { mime: 'image/webp', ext: 'webp' };
  return undefined;
}

const errorBody = (code: number, message: string, type: string) => ({ error: { code, message, type } });

/** Documented bodies per status (upstream/toapis-vidu.md §4). */
function faultResponse(path: FakePath, status: number, message?: string): { body: string; contentType: string } {
  const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: 'application/json; charset=utf-8' });
  if (path === 'upload' && status === 400) {
    return json({ success: false, message: message ?? 'Unsupported image type. Allowed: JPEG, PNG, WebP, GIF' });
  }
  if (status === 502 || status === 504) {
    const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
    return {
      body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
      contentType: 'text/html',
    };
  }
  switch (status) {
    case 400:
      return json(errorBody(400, message ?? 'Invalid request parameters', 'invalid_request_error'));
    case 401:
      return json(errorBody(401, message ?? 'Authentication failed, please check your API key', 'authentication_error'));
    case 402:
      return json(errorBody(402, message ?? 'Insufficient balance', 'insufficient_quota'));
    case 403:
      return json(errorBody(403, message ?? 'Access denied', 'permission_error'));
    case 404:
      return json(errorBody(404, message ?? 'Task not found', 'not_found_error'));
    case 422:
      return json(errorBody(422, message ?? 'Content policy violation: the request was rejected by the content filter', 'content_policy_violation'));
    case 429:
      return json(errorBody(429, message ?? 'Too many requests, please try again later', 'rate_limit_error'));
    case 500:
      return json(errorBody(500, message ?? 'Internal server error', 'internal_error'));
    case 503:
      return json(errorBody(503, message ?? 'Service temporarily unavailable', 'server_error'));
    default:
      return json(errorBody(status, message ?? `HTTP ${status}`, 'api_error'));
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Submit validation by the stricter reading of the docs; returns the 400 message or undefined. */
function validateSubmit(body: Record<string, unknown>): string | undefined {
  const { model, prompt, duration, resolution, aspect_ratio: aspectRatio, image_urls: imageUrls } = body;
  if (typeof model !== 'string' || !MODELS.has(model)) {
    return `Invalid model: ${String(model)}. Supported: viduq3-pro, viduq3-turbo, viduq3`;
  }
  if (typeof prompt !== 'string' || prompt.trim() === '') return 'prompt is required';
  // "Characters" as the docs say (code points): an emoji is one, as the bot counts it.
  if ([...prompt].length > 5000) return 'prompt must be at most 5000 characters';
  if (duration !== undefined) {
    const min = model === 'viduq3' ? 3 : 1;
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < min || duration > 16) {
      return `duration must be an integer between ${min} and 16 for ${model}`;
    }
  }
  if (resolution !== undefined && (typeof resolution !== 'string' || !RESOLUTIONS.has(resolution))) {
    return 'resolution must be one of 540p, 720p, 1080p';
  }
  if (aspectRatio !== undefined && (typeof aspectRatio !== 'string' || !ASPECT_RATIOS.has(aspectRatio))) {
    return 'aspect_ratio must be one of 16:9, 9:16, 1:1, 4:3, 3:4';
  }
  if (imageUrls !== undefined && !Array.isArray(imageUrls)) return 'image_urls must be an array of URLs';
  const images = (imageUrls ?? []) as unknown[];
  for (const url of images) {
    if (!isHttpUrl(url)) return 'image_urls must be public http(s) URLs; base64/data URLs are not supported, upload the image first';
  }
  if (model === 'viduq3') {
    if (images.length < 1 || images.length > 7) return 'viduq3 requires 1 to 7 image_urls';
  } else {
    if (images.length > 2) return `${model} accepts at most 2 image_urls`;
    if (images.length > 0 && aspectRatio !== undefined) return 'aspect_ratio cannot be used with image_urls';
  }
  if (body.audio !== undefined && typeof body.audio !== 'boolean') return 'audio must be a boolean';
  if (body.seed !== undefined && (typeof body.seed !== 'number' || !Number.isInteger(body.seed))) return 'seed must be an integer';
  if (body.metadata !== undefined && (typeof body.metadata !== 'object' || body.metadata === null || Array.isArray(body.metadata))) {
    return 'metadata must be an object';
  }
  if (body.client_business_id !== undefined && (typeof body.client_business_id !== 'string' || body.client_business_id === '')) {
    return 'client_business_id must be a non-empty string';
  }
  return undefined;
}

/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeToapis(options: FakeToapisOptions = {}): Promise<FakeToapis> {
  const apiKey = options.apiKey ?? 'sk-test-key';
  const now = options.now ?? Date.now;
  const sockets = new Set<Socket>();
  const injections: { path: FakePath; remaining: number; fault: FakeFault }[] = [];
  const byBusinessId = new Map<string, string>();
  const uploadsById = new Map<string, RecordedUpload>();
  const frames = new Map<string, Buffer>();

  const fake: FakeToapis = {
    url: '',
    nextTasks: [],
    stats: {
      submitRequests: 0,
      tasksCreated: 0,
      statusRequests: 0,
      uploads: 0,
      uploadRequests: 0,
      videoDownloads: 0,
      balanceRequests: 0,
      rateLimited: { submit: 0, query: 0 },
      webhookNotConfigured: 0,
    },
    submitLimiterDown: false,
    webhookConfig: options.webhook,
    webhooks: { attempts: [], lose: 0, duplicate: 0, stale: { count: 0, ageS: 0 }, send: () => Promise.resolve() },
    finishedAt: new Map(),
    tasks: new Map(),
    requests: [],
    uploads: [],
    balance: { remain: options.balance?.remain ?? 100, used: options.balance?.used ?? 0, unlimited: options.balance?.unlimited ?? false },
    inject(injection) {
      injections.push({ path: injection.path, remaining: injection.times ?? 1, fault: injection.fault });
    },
    videoBytes(taskId) {
      const task = fake.tasks.get(taskId);
      if (task === undefined) throw new Error(`fake toapis: no task ${taskId}`);
      return task.video;
    },
    close: () => Promise.resolve(),
  };

  // ---- documented buckets (§8) ----
  const buckets = options.rateLimits
    ? {
        submit: { ...options.rateLimits.submit, tokens: options.rateLimits.submit.burst, at: now(), category: 'async_submit' },
        query: { ...options.rateLimits.query, tokens: options.rateLimits.query.burst, at: now(), category: 'async_query' },
      }
    : undefined;
  /** Takes a token, or answers 429 (a refused request consumes nothing). Returns the headers to send, or undefined when it answered. */
  const spend = (which: 'submit' | 'query', res: http.ServerResponse): Record<string, string> | undefined => {
    const b = buckets?.[which];
    if (b === undefined) return {};
    const t = now();
    b.tokens = Math.min(b.burst, b.tokens + (Math.max(0, t - b.at) * b.ratePerSecond) / 1000);
    b.at = t;
    const nextTokenMs = b.tokens >= 1 ? 0 : ((1 - b.tokens) / b.ratePerSecond) * 1000;
    const headers = {
      'x-ratelimit-limit': String(b.burst),
      'x-ratelimit-category': b.category,
      'x-ratelimit-reset': String(Math.ceil((t + nextTokenMs) / 1000)),
    };
    if (b.tokens < 1) {
      fake.stats.rateLimited[which] += 1;
      send(
        res,
        429,
        { error: { code: 'rate_limit_exceeded', message: 'Too many requests, please try again later', type: 'rate_limit_error' } },
        {
          ...headers,
          'x-ratelimit-remaining': '0',
          'retry-after': String(Math.max(1, Math.ceil(nextTokenMs / 1000))),
        },
      );
      return undefined;
    }
    b.tokens -= 1;
    return { ...headers, 'x-ratelimit-remaining': String(Math.floor(b.tokens)) };
  };

  // ---- task webhooks (§8) ----
  const webhookOf = (): FakeWebhookOptions | undefined => fake.webhookConfig;
  const eventIds = new Map<string, string>();
  const webhookTimers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      webhookTimers.delete(timer);
      fn();
    }, ms);
    webhookTimers.add(timer);
  };
  const finishesAt = (task: FakeTask): number => task.createdAtMs + task.plan.queuedMs + task.plan.runMs;
  const eventBody = (task: FakeTask, eventId: string): string => {
    // The final state, not "now": a timer may fire a millisecond before Date.now() reaches the
    // finish time, and toapis only ever sends an event for a finished task.
    const snap = snapshot(task, Math.max(now(), finishesAt(task)));
    const ok = snap.status === 'completed';
    if (!ok && snap.status !== 'failed') throw new Error(`fake toapis: event for unfinished task ${task.id} (${String(snap.status)})`);
    return JSON.stringify({
      id: eventId,
      type: ok ? 'generation.completed' : 'generation.failed',
      api_version: 'v1',
      created_at: Math.floor(Date.now() / 1000),
      data: {
        task_id: task.id,
        client_business_id: task.clientBusinessId ?? null,
        task_type: 'video',
        model: task.model,
        status: ok ? 'SUCCESS' : 'FAILURE',
        progress: '100%',
        result: ok ? snap.result : null,
        error: ok ? null : snap.error,
        submitted_at: Math.floor(task.createdAtMs / 1000),
        finished_at: Math.floor(finishesAt(task) / 1000),
      },
    });
  };
  const targetOf = (task: FakeTask): string | undefined => {
    const meta = task.body.metadata as Record<string, unknown> | undefined;
    return typeof meta?.callback_url === 'string' ? meta.callback_url : webhookOf()?.url;
  };
  /** One delivery attempt; resolves with the receiver's status (0 on a network failure or timeout). */
  const deliverOnce = async (task: FakeTask, eventId: string, url: string, attempt: number, timestamp: number): Promise<number> => {
    const body = eventBody(task, eventId);
    const signature = (webhookOf()?.secrets ?? [])
      .map((secret) => `v1=${createHmac('sha256', secret).update(`${eventId}.${timestamp}.${body}`).digest('hex')}`)
      .join(',');
    // eslint-disable-next-line no-useless-assignment -- 0 stays when fetch throws
    let status = 0;
    try {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ToAPIs-Webhook/1.0',
          'x-toapis-webhook-id': eventId,
          'x-toapis-webhook-timestamp': String(timestamp),
          'x-toapis-webhook-signature': signature,
        },
        body,
        signal: AbortSignal.timeout(webhookOf()?.timeoutMs ?? 10_000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = 0;
    }
    fake.webhooks.attempts.push({ eventId, taskId: task.id, url, attempt, timestamp, status, at: Date.now() });
    return status;
  };
  /** Delivers with the documented retries until a 2xx (only 2xx counts; no redirects followed). */
  const deliver = async (task: FakeTask, first: boolean): Promise<void> => {
    const url = targetOf(task);
    if (url === undefined) return;
    let eventId = eventIds.get(task.id);
    if (eventId === undefined) {
      eventId = `evt_${randomBytes(10).toString('hex')}`;
      eventIds.set(task.id, eventId);
    }
    const delays = webhookOf()?.retryDelaysMs ?? [100, 300, 1_000];
    let stale = 0;
    if (first && fake.webhooks.stale.count > 0) {
      fake.webhooks.stale.count -= 1;
      stale = fake.webhooks.stale.ageS;
    }
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      // Retries keep the event id and carry a new timestamp.
      const timestamp = Math.floor(Date.now() / 1000) - (attempt === 1 ? stale : 0);
      const status = await deliverOnce(task, eventId, url, attempt, timestamp);
      if (status >= 200 && status <= 299) return;
      if (attempt <= delays.length) await new Promise<void>((resolve) => later(delays[attempt - 1]!, resolve));
    }
  };
  const whenFinished = (task: FakeTask): void => {
    if (!webhookOf() || task.plan.neverFinish === true) return;
    const fault = fake.webhooks.chaos?.() ?? { lose: false, delayMs: 0, duplicate: false };
    later(Math.max(0, finishesAt(task) - now()), () => {
      fake.finishedAt.set(task.id, Date.now());
      if (fault.lose) return;
      if (fake.webhooks.lose > 0) {
        fake.webhooks.lose -= 1;
        return;
      }
      let twice = fault.duplicate;
      if (!twice && fake.webhooks.duplicate > 0) {
        fake.webhooks.duplicate -= 1;
        twice = true;
      }
      later(fault.delayMs, () => void deliver(task, true).then(() => (twice ? deliver(task, false) : undefined)));
    });
  };
  fake.webhooks.send = async (taskId) => {
    const task = fake.tasks.get(taskId);
    if (task === undefined) throw new Error(`fake toapis: no task ${taskId}`);
    await deliver(task, false);
  };

  const takeFault = (path: FakePath): FakeFault | undefined => {
    const rule = injections.find((r) => r.path === path && r.remaining > 0);
    if (rule === undefined) return options.chaos?.(path);
    rule.remaining -= 1;
    return rule.fault;
  };

  /** The task JSON exactly as the status endpoint documents it, at `now()`. */
  /** The task as the status endpoint shows it at `at` (default: now). */
  const snapshot = (task: FakeTask, at: number = now()): Record<string, unknown> => {
    const { plan } = task;
    const elapsed = at - task.createdAtMs;
    const out: Record<string, unknown> = {
      id: task.id,
      ...(task.clientBusinessId === undefined ? {} : { client_business_id: task.clientBusinessId }),
      object: 'generation.task',
      model: task.model,
      created_at: Math.floor(task.createdAtMs / 1000),
    };
    if (elapsed < plan.queuedMs) {
      return { ...out, status: plan.statusOverride ?? 'queued', progress: 0 };
    }
    if (plan.neverFinish === true || elapsed < plan.queuedMs + plan.runMs) {
      const fraction = Math.min(0.99, plan.runMs > 0 ? (elapsed - plan.queuedMs) / plan.runMs : 0.99);
      const steps = plan.progressSteps;
      const progress =
        steps !== undefined && steps.length > 0
          ? steps[Math.min(steps.length - 1, Math.floor(fraction * steps.length))]!
          : Math.max(1, Math.min(99, Math.floor(fraction * 100)));
      return { ...out, status: plan.statusOverride ?? 'in_progress', progress };
    }
    if (plan.outcome === 'failed') {
      return {
        ...out,
        status: 'failed',
        progress: 0,
        error: { code: 'generation_failed', message: `Generation failed: ${plan.failMessage ?? 'upstream returned an error'}` },
      };
    }
    const completedAt = Math.floor((task.createdAtMs + plan.queuedMs + plan.runMs) / 1000);
    return {
      ...out,
      status: 'completed',
      progress: 100,
      completed_at: completedAt,
      expires_at: completedAt + URL_LIFETIME_S,
      result: {
        type: 'video',
        data: [
          {
            url: plan.videoUrl ?? `${fake.url}/files/videos/${task.id}.mp4`,
            format: 'mp4',
            ...(plan.lastFrame === undefined ? {} : { last_frame_url: `${fake.url}/files/frames/${task.id}.jpg` }),
          },
        ],
      },
    };
  };

  const findTask = (idOrBusinessId: string): FakeTask | undefined => fake.tasks.get(idOrBusinessId) ?? fake.tasks.get(byBusinessId.get(idOrBusinessId) ?? '');

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };

  /** Applies a fault; returns true when the request is fully handled. */
  const applyFault = (path: FakePath, fault: FakeFault, req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if ('hang' in fault) return true;
    if ('reset' in fault) {
      req.socket.destroy();
      return true;
    }
    if ('malformed' in fault) {
      send(res, 200, '{"id":');
      return true;
    }
    if ('json' in fault) {
      send(res, fault.status ?? 200, fault.json);
      return true;
    }
    if ('status' in fault) {
      const { body, contentType } = faultResponse(path, fault.status, fault.message);
      send(res, fault.status, body, {
        'content-type': contentType,
        ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
      });
      return true;
    }
    return false; // afterCommit / truncateVideo act later
  };

  const readBody = (req: http.IncomingMessage): Promise<Buffer | undefined> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      req.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > MAX_REQUEST_BYTES) {
          req.removeAllListeners('data');
          req.resume();
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const handleUpload = async (req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer | undefined): Promise<void> => {
    if (raw === undefined) {
      send(res, 400, { success: false, message: 'Image too large. Maximum size is 10MB' }, { connection: 'close' });
      return;
    }
    let form: FormData;
    try {
      form = await new Request('http://fake.invalid/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: new Uint8Array(raw),
      }).formData();
    } catch {
      send(res, 400, { success: false, message: 'Invalid multipart form data' });
      return;
    }
    const file = form.get('file');
    if (file === null || typeof file === 'string') {
      send(res, 400, { success: false, message: 'No file uploaded. The "file" field is required' });
      return;
    }
    const bytes = Buffer.from(await file.arrayBuffer());
    const kind = sniffImage(bytes);
    if (kind === undefined) {
      send(res, 400, { success: false, message: 'Unsupported image type. Allowed: JPEG, PNG, WebP, GIF' });
      return;
    }
    if (bytes.length > MAX_IMAGE_BYTES) {
      send(res, 400, { success: false, message: 'Image too large. Maximum size is 10MB' });
      return;
    }
    const id = `upload_${randomBytes(4).toString('hex')}`;
    const purpose = form.get('purpose');
    const upload: RecordedUpload = {
      id,
      url: `${fake.url}/files/uploads/${id}.${kind.ext}`,
      bytes,
      filename: file.name,
      declaredMimeType: file.type,
      mimeType: kind.mime,
      ...(typeof purpose === 'string' ? { purpose } : {}),
    };
    fake.uploads.push(upload);
    uploadsById.set(id, upload);
    fake.stats.uploads += 1;
    send(res, 200, { success: true, message: '', data: { id, url: upload.url, mime_type: kind.mime, size: bytes.length } });
  };

  const handleSubmit = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    json: unknown,
    fault: FakeFault | undefined,
    rateHeaders: Record<string, string>,
  ): void => {
    if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) {
      send(res, 400, errorBody(400, 'Invalid JSON body', 'invalid_request_error'));
      return;
    }
    const body = json as Record<string, unknown>;
    const meta = body.metadata as Record<string, unknown> | undefined;
    if (meta !== undefined && typeof meta === 'object' && meta !== null && 'callback_url' in meta && webhookOf()?.url === undefined) {
      fake.stats.webhookNotConfigured += 1;
      send(
        res,
        400,
        { error: { code: 'webhook_not_configured', message: 'Webhook is not configured for this token', type: 'invalid_request_error' } },
        rateHeaders,
      );
      return;
    }
    const problem = validateSubmit(body);
    if (problem !== undefined) {
      send(res, 400, errorBody(400, problem, 'invalid_request_error'));
      return;
    }
    const metadata = body.metadata as Record<string, unknown> | undefined;
    const businessId =
      typeof body.client_business_id === 'string'
        ? body.client_business_id
        : typeof metadata?.client_business_id === 'string'
          ? metadata.client_business_id
          : undefined;
    const existing = businessId === undefined ? undefined : findTask(byBusinessId.get(businessId) ?? '');
    let task = existing;
    if (task === undefined) {
      const id = `video_${randomBytes(12).toString('hex')}`;
      const plan: FakeTaskPlan = { ...FAKE_DEFAULT_PLAN, ...options.plan, ...options.planFor?.(body), ...fake.nextTasks.shift() };
      task = {
        id,
        model: body.model as string,
        body,
        createdAtMs: now(),
        plan,
        video: plan.video ?? fakeMp4(id),
        ...(businessId === undefined ? {} : { clientBusinessId: businessId }),
      };
      fake.tasks.set(id, task);
      if (businessId !== undefined) byBusinessId.set(businessId, id);
      if (plan.lastFrame !== undefined) frames.set(id, plan.lastFrame);
      fake.stats.tasksCreated += 1;
      whenFinished(task);
    }
    if (fault !== undefined && 'afterCommit' in fault) {
      if (fault.afterCommit === 'reset') req.socket.destroy();
      return;
    }
    send(res, 200, { ...snapshot(task), metadata: {} }, rateHeaders);
  };

  const serveFile = (res: http.ServerResponse, bytes: Buffer, contentType: string, truncate: boolean): void => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(bytes.length) });
    if (truncate) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(bytes);
  };

  const notFoundFile = (res: http.ServerResponse): void => {
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' });
    res.end('Not Found');
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const { pathname } = new URL(target, 'http://fake.invalid');
    const raw = await readBody(req);
    let json: unknown;
    if (raw !== undefined && raw.length > 0 && (req.headers['content-type'] ?? '').includes('application/json')) {
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    fake.requests.push({ method, path: target, headers: req.headers, ...(json === undefined ? {} : { json }) });

    // Files: public, no auth (like a CDN).
    const fileMatch = /^\/files\/(videos|frames|uploads)\/([^/.]+)\.[a-z0-9]+$/.exec(pathname);
    if (method === 'GET' && fileMatch !== null) {
      const [, folder, id] = fileMatch as unknown as [string, string, string];
      if (folder === 'uploads') {
        const upload = uploadsById.get(id);
        if (upload === undefined) return notFoundFile(res);
        return serveFile(res, upload.bytes, upload.mimeType, false);
      }
      if (folder === 'frames') {
        const frame = frames.get(id);
        const task = fake.tasks.get(id);
        if (frame === undefined || task === undefined || snapshot(task).status !== 'completed') return notFoundFile(res);
        return serveFile(res, frame, sniffImage(frame)?.mime ?? 'application/octet-stream', false);
      }
      fake.stats.videoDownloads += 1;
      const fault = takeFault('video');
      if (fault !== undefined && applyFault('video', fault, req, res)) return;
      const task = fake.tasks.get(id);
      if (task === undefined) return notFoundFile(res);
      const state = snapshot(task);
      // Video URLs die at expires_at (24 h after completion).
      if (state.status !== 'completed' || Math.floor(now() / 1000) >= (state.expires_at as number)) return notFoundFile(res);
      if (task.plan.videoRedirect !== undefined) {
        res.writeHead(302, { location: task.plan.videoRedirect, 'content-length': '0' });
        return void res.end();
      }
      return serveFile(res, task.video, 'video/mp4', fault !== undefined && 'truncateVideo' in fault);
    }

    let route: FakePath | undefined;
    let taskId: string | undefined;
    if (method === 'POST' && pathname === '/v1/videos/generations') route = 'submit';
    else if (method === 'POST' && pathname === '/v1/uploads/images') route = 'upload';
    else if (method === 'GET' && pathname === '/v1/balance') route = 'balance';
    else if (method === 'GET' && pathname.startsWith('/v1/videos/generations/')) {
      route = 'status';
      taskId = decodeURIComponent(pathname.slice('/v1/videos/generations/'.length));
    }

    if (route === 'submit') fake.stats.submitRequests += 1;
    if (route === 'status') fake.stats.statusRequests += 1;
    if (route === 'upload') fake.stats.uploadRequests += 1;
    if (route === 'balance') fake.stats.balanceRequests += 1;

    if (pathname.startsWith('/v1/') && req.headers.authorization !== `Bearer ${apiKey}`) {
      return send(res, 401, errorBody(401, 'Authentication failed, please check your API key', 'authentication_error'));
    }
    if (route === undefined) return send(res, 404, errorBody(404, 'Not found', 'not_found_error'));

    if (route === 'submit' && fake.submitLimiterDown) {
      return send(res, 503, { error: { code: 'rate_limit_unavailable', message: 'Rate limiter unavailable, please retry later', type: 'server_error' } });
    }
    let rateHeaders: Record<string, string> = {};
    if (route === 'submit' || route === 'status') {
      const headers = spend(route === 'submit' ? 'submit' : 'query', res);
      if (headers === undefined) return;
      rateHeaders = headers;
    }

    const fault = takeFault(route);
    if (fault !== undefined && applyFault(route, fault, req, res)) return;

    switch (route) {
      case 'upload':
        return handleUpload(req, res, raw);
      case 'submit':
        return handleSubmit(req, res, json, fault, rateHeaders);
      case 'balance':
        return send(res, 200, {
          success: true,
          remain_balance: fake.balance.unlimited ? -1 : fake.balance.remain,
          used_balance: fake.balance.used,
          unlimited_quota: fake.balance.unlimited,
        });
      case 'status': {
        const task = taskId === undefined ? undefined : findTask(taskId);
        if (task === undefined) return send(res, 404, errorBody(404, 'Task not found', 'not_found_error'), rateHeaders);
        return send(res, 200, snapshot(task), rateHeaders);
      }
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(500, `fake toapis bug: ${String(err)}`, 'internal_error'));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const timer of webhookTimers) clearTimeout(timer);
      webhookTimers.clear();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}
