import { z } from 'zod';

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
  TOAPIS_BASE_URL: optionalUrl.default('https://toapis.com'),
  DISCORD_API_URL: optionalUrl.optional(),
  STORE_URL: z
    .string()
    .trim()
    .regex(/^(sqlite:\/\/.+|rediss?:\/\/.+)$/, 'must be sqlite://path/file.sqlite or redis://host:port/db')
    .default('sqlite://data/vidu.sqlite'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Give up on an upstream task this long after submit, in seconds. Default 1800 (30 min). */
  VIDU_TASK_DEADLINE_S: positiveInt(1800),
  /** Upstream request cap across the process, requests per second. Default 5. */
  VIDU_UPSTREAM_MAX_RPS: z.coerce.number().positive().default(5),
  /** Jobs one member may have in flight at once. Default 3. */
  VIDU_USER_MAX_IN_FLIGHT: positiveInt(3),
  /** Submits one member may make per rolling minute. Default 5. */
  VIDU_USER_SUBMITS_PER_MINUTE: positiveInt(5),
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
  storeUrl: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  httpPort?: number;
  taskDeadlineMs: number;
  upstreamMaxRps: number;
  userMaxInFlight: number;
  userSubmitsPerMinute: number;
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
  return {
    discordToken: e.DISCORD_TOKEN,
    toapisApiKey: e.TOAPIS_API_KEY,
    toapisBaseUrl: e.TOAPIS_BASE_URL,
    discordApiUrl: e.DISCORD_API_URL,
    storeUrl: e.STORE_URL,
    logLevel: e.LOG_LEVEL,
    httpPort: e.HTTP_PORT,
    taskDeadlineMs: e.VIDU_TASK_DEADLINE_S * 1000,
    upstreamMaxRps: e.VIDU_UPSTREAM_MAX_RPS,
    userMaxInFlight: e.VIDU_USER_MAX_IN_FLIGHT,
    userSubmitsPerMinute: e.VIDU_USER_SUBMITS_PER_MINUTE,
    timeScale: e.VIDU_TIME_SCALE,
    shards: e.VIDU_SHARDS,
    shardIds: e.VIDU_SHARD_IDS,
  };
}
