import { isIP } from 'node:net';
import { z } from 'zod';
import { parseStoreUrl, type StoreLocation } from './store/keyv.js';
import type { RateGroup } from './upstream/ratelimit.js';
import { isLoopbackHttpUrl } from './upstream/guard.js';

/**
 * The process contract (see DESIGN.md): every environment variable the bot reads, parsed once.
 * Nothing below this boundary reads `process.env`.
 */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }))
  .transform((u) => u.replace(/\/+$/, ''));

const EnvSchema = z.object({
  DISCORD_TOKEN: z.string().trim().min(1, 'is required (the bot token from the Developer Portal)'),
  TOAPIS_API_KEY: z.string().trim().min(1, 'is required (your toapis.com key, starts with sk-)'),
  // Our API key travels to this URL: plain http only to this machine (tests, local proxies).
  TOAPIS_BASE_URL: optionalUrl
    .refine((u) => u.startsWith('https://') || isLoopbackHttpUrl(u), 'must be an https:// URL (http:// only for localhost, 127.x.x.x or [::1])')
    .default('https://toapis.com'),
  DISCORD_API_URL: optionalUrl.optional(),
  STORE_URL: z
    .string()
    .trim()
    .default('sqlite://data/vidu.sqlite')
    .transform((url, ctx): StoreLocation => {
      const location = parseStoreUrl(url);
      if (location) return location;
      ctx.addIssue({ code: 'custom', message: 'must be sqlite://path/file.sqlite or redis://host:port/db' });
      return z.NEVER;
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Address the HTTP server binds. Default 127.0.0.1 (the Docker image sets 0.0.0.0). */
  HTTP_HOST: z
    .string()
    .trim()
    .refine((h) => isIP(h) !== 0 || /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(h), 'must be an IP address or a host name')
    .default('127.0.0.1'),
  /** Give up on an upstream task this long after submit, in seconds. Default 1800 (30 min). */
  VIDU_TASK_DEADLINE_S: positiveInt(1800),
  /** The account's documented rate-limit group: sets the submit and status-query buckets. */
  TOAPIS_RATE_GROUP: z.enum(['default', 'vip', 'svip'], { error: "must be 'default', 'vip' or 'svip'" }).default('default'),
  /** The toapis Token's webhook signing secret: turns on `POST /webhooks/toapis`. */
  TOAPIS_WEBHOOK_SECRET: z.string().trim().min(16, 'must be the signing secret from the toapis Token page (at least 16 characters)').optional(),
  /** Public URL toapis calls for this bot's tasks (`metadata.callback_url`). */
  TOAPIS_WEBHOOK_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https$/, error: 'must be a public https:// URL (toapis refuses others)' }))
    .optional(),
  /** Jobs one member may have in flight at once. Default 3. */
  VIDU_USER_MAX_IN_FLIGHT: positiveInt(3),
  /** Submits one member may make per rolling minute. Default 5. */
  VIDU_USER_SUBMITS_PER_MINUTE: positiveInt(5),
  /** Saved-subject saves (new or replaced) one member may make per rolling hour. Default 10. */
  VIDU_SUBJECT_SAVES_PER_HOUR: positiveInt(10),
  /** Operator cap: weighted video-seconds one member may use per UTC day, everywhere. Default unlimited. */
  VIDU_USER_DAILY_LIMIT: z.coerce
    .number({ error: 'must be a positive number of weighted video-seconds' })
    .positive('must be a positive number of weighted video-seconds')
    .optional(),
  /** Operator cap: weighted video-seconds the whole bot may use per UTC day. Default unlimited. */
  VIDU_DAILY_BUDGET: z.coerce
    .number({ error: 'must be a positive number of weighted video-seconds' })
    .positive('must be a positive number of weighted video-seconds')
    .optional(),
  /** `false` refuses generation in DMs and in servers reached only through a user install. */
  VIDU_ALLOW_DMS: z
    .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
    .transform((v) => v === 'true')
    .default(true),
  /** Scales every poll/edit interval (tests, benchmarks). 1 = production timing. */
  VIDU_TIME_SCALE: z.coerce.number().positive().max(1).default(1),
  /** Shard count for `npm run start:sharded`: `auto` asks Discord (GET /gateway/bot). */
  VIDU_SHARDS: z
    .string()
    .trim()
    .regex(/^(auto|[1-9]\d{0,4})$/, "must be 'auto' or a positive integer")
    .transform((v): 'auto' | number => (v === 'auto' ? 'auto' : Number(v)))
    .default('auto'),
  /** Shards this machine runs (`0-3,8`), when several machines share `VIDU_SHARDS`. Default all. */
  VIDU_SHARD_IDS: z
    .string()
    .trim()
    .regex(/^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/, 'must list shard ids like 0-3,8')
    .transform((v) => {
      const ids = new Set<number>();
      for (const part of v.split(',')) {
        const [a, b = a] = part.split('-').map(Number) as [number, number?];
        for (let id = a; id <= b; id++) ids.add(id);
      }
      return [...ids].sort((x, y) => x - y);
    })
    .optional(),
});

export type Config = {
  discordToken: string;
  toapisApiKey: string;
  toapisBaseUrl: string;
  discordApiUrl?: string;
  /** `STORE_URL`, parsed: a SQLite file or a Redis URL. */
  store: StoreLocation;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  httpPort?: number;
  /** Address the HTTP server binds (`HTTP_HOST`). */
  httpHost: string;
  taskDeadlineMs: number;
  rateGroup: RateGroup;
  /** Webhook signing secret; set = the webhook receiver is on. */
  webhookSecret?: string;
  /** Sent as `metadata.callback_url` on every submit when set. */
  webhookUrl?: string;
  userMaxInFlight: number;
  userSubmitsPerMinute: number;
  subjectSavesPerHour: number;
  /** VIDU_USER_DAILY_LIMIT; unset = unlimited. */
  userDailyLimit?: number;
  /** VIDU_DAILY_BUDGET; unset = unlimited. */
  dailyBudget?: number;
  allowDms: boolean;
  timeScale: number;
  shards: 'auto' | number;
  shardIds?: number[];
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws {@link ConfigError} whose message is one line naming the variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty string means "unset" for optional variables (common in .env files and compose).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const missing = issue.code === 'invalid_type' && cleaned[name] === undefined;
    throw new ConfigError(`${name} ${missing ? 'is required' : issue.message}`);
  }
  const e = parsed.data;
  if (e.TOAPIS_WEBHOOK_SECRET !== undefined && e.HTTP_PORT === undefined) {
    throw new ConfigError('HTTP_PORT is required when TOAPIS_WEBHOOK_SECRET is set (POST /webhooks/toapis listens on it)');
  }
  return {
    discordToken: e.DISCORD_TOKEN,
    toapisApiKey: e.TOAPIS_API_KEY,
    toapisBaseUrl: e.TOAPIS_BASE_URL,
    discordApiUrl: e.DISCORD_API_URL,
    store: e.STORE_URL,
    logLevel: e.LOG_LEVEL,
    httpPort: e.HTTP_PORT,
    httpHost: e.HTTP_HOST,
    taskDeadlineMs: e.VIDU_TASK_DEADLINE_S * 1000,
    rateGroup: e.TOAPIS_RATE_GROUP,
    webhookSecret: e.TOAPIS_WEBHOOK_SECRET,
    webhookUrl: e.TOAPIS_WEBHOOK_URL,
    userMaxInFlight: e.VIDU_USER_MAX_IN_FLIGHT,
    userSubmitsPerMinute: e.VIDU_USER_SUBMITS_PER_MINUTE,
    subjectSavesPerHour: e.VIDU_SUBJECT_SAVES_PER_HOUR,
    userDailyLimit: e.VIDU_USER_DAILY_LIMIT,
    dailyBudget: e.VIDU_DAILY_BUDGET,
    allowDms: e.VIDU_ALLOW_DMS,
    timeScale: e.VIDU_TIME_SCALE,
    shards: e.VIDU_SHARDS,
    shardIds: e.VIDU_SHARD_IDS,
  };
}
