import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Events, GatewayIntentBits, GuildPremiumTier, REST, ShardClientUtil, Status } from 'discord.js';
import type pino from 'pino';
import { Agent } from 'undici';
import { COMMANDS, COMPONENTS } from '../commands/index.js';
import type { CommandContext } from '../commands/types.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { createOutbox } from './discord/outbox.js';
import { registerCommandsIfChanged } from './discord/register.js';
import { createRouter } from './discord/router.js';
import { startHttpServer } from './http/server.js';
import { createLogger, type Logger } from './log.js';
import { createBotMetrics, type BotMetrics } from './metrics.js';
import { createAdminAlerts } from './settings/alerts.js';
import { createSettingsCache } from './settings/store.js';
import { createUsageLedger } from './settings/usage.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES, createEngine } from './tasks/engine.js';
import { createLastFrameExtractor } from './tasks/frames.js';
import { createRateGate } from './tasks/limits.js';
import { owningGuildId, type TaskRecord } from './tasks/record.js';
import { createDurationHistory, nextPollDelayMs, pollHintFor, scaledSchedule } from './tasks/schedule.js';
import { createScheduler } from './tasks/scheduler.js';
import { StoreError, openStore, redactUrl } from './tasks/store.js';
import { createUpstreamClient } from './upstream/client.js';
import { downloadBytes, downloadToFile } from './upstream/download.js';
import { createSubjectLibrary } from './subjects/library.js';
import { createRateLimiter, type RateLimiter } from './upstream/ratelimit.js';
import { createRedisRateLimiter, type RedisRateLimiter } from './upstream/ratelimit-redis.js';
import { RETRY_DEFAULTS } from './upstream/retry.js';

/** The client's retry waits, compressed like every other interval when VIDU_TIME_SCALE < 1. */
function scaledRetryBudgets(scale: number) {
  const out: Record<string, { baseMs: number; capMs: number }> = {};
  for (const [op, budget] of Object.entries(RETRY_DEFAULTS)) {
    out[op] = { baseMs: Math.max(1, budget.baseMs * scale), capMs: Math.max(1, budget.capMs * scale) };
  }
  return out;
}

const BOOST_UPLOAD_LIMIT: Partial<Record<GuildPremiumTier, number>> = {
  [GuildPremiumTier.Tier2]: 50 * 1024 * 1024,
  [GuildPremiumTier.Tier3]: 100 * 1024 * 1024,
};

export interface BotOverrides {
  /** Where log lines go (tests capture them). Default stdout. */
  logDestination?: pino.DestinationStream;
  now?: () => number;
  random?: () => number;
  /** REST timeout and retries (tests shorten them). */
  rest?: { timeout?: number; retries?: number };
}

export interface RunningBot {
  client: Client;
  logger: Logger;
  config: Config;
  metrics: BotMetrics;
  /** Port of the `/healthz` + `/metrics` server when `HTTP_PORT` is set. */
  httpPort?: number;
  /** Graceful stop: refuse new work, let running steps finish, close the store. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Wires the bot together and logs in. The only place that builds the object graph; everything
 * else takes its dependencies as arguments.
 */
export async function startBot(env: Record<string, string | undefined>, overrides: BotOverrides = {}): Promise<RunningBot> {
  const config = parseConfig(env);
  const now = overrides.now ?? Date.now;
  const random = overrides.random ?? Math.random;
  const secrets = [config.discordToken, config.toapisApiKey];
  const logger = createLogger({ level: config.logLevel, secrets, destination: overrides.logDestination });
  const schedule = scaledSchedule(config.timeScale);

  const store = await openStore(config.storeUrl);
  logger.info({ store: redactUrl(config.storeUrl) }, 'store open');

  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: {
      ...(config.discordApiUrl ? { api: config.discordApiUrl } : {}),
      // Uploads of large mp4s need more than the 15 s default.
      timeout: overrides.rest?.timeout ?? 120_000,
      retries: overrides.rest?.retries ?? 2,
    },
  });

  // Sharding (src/shard.ts sets SHARDS/SHARD_COUNT, which the Client reads): this process owns
  // the tasks of its shards' guilds, tasks without a guild belong to shard 0. No list: all shards.
  const shardCount = client.options.shardCount ?? 1;
  const shardIds = Array.isArray(client.options.shards) && client.options.shards.length < shardCount ? (client.options.shards as readonly number[]) : undefined;
  const shardOf = (guildId: string | null) => (guildId ? ShardClientUtil.shardIdForGuildId(guildId, shardCount) : 0);
  const owns = shardIds ? (entry: { guildId: string | null }) => shardIds.includes(shardOf(entry.guildId)) : undefined;
  // Every later line (and child logger) says which shard process wrote it.
  if (shardIds) logger.setBindings({ shard: shardIds.length === 1 ? shardIds[0] : shardIds });
  const metrics = createBotMetrics();

  // Our own connection pool: @discordjs/rest installs its bundled undici as the global
  // dispatcher, which our undici's interceptors cannot drive.
  const http = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  // The cap holds across processes: shared through Redis when the store is Redis; otherwise (or
  // while Redis does not answer) each process keeps to its shards' share of it.
  const localLimiter = createRateLimiter({ ratePerSecond: config.upstreamMaxRps * (shardIds ? shardIds.length / shardCount : 1) });
  let sharedLimiter: RedisRateLimiter | undefined;
  if (/^rediss?:/.test(config.storeUrl)) {
    sharedLimiter = await createRedisRateLimiter({
      url: config.storeUrl,
      ratePerSecond: config.upstreamMaxRps,
      fallback: localLimiter,
      logger: logger.child({ mod: 'ratelimit' }),
    }).catch((err: unknown) => {
      logger.warn({ err }, 'shared upstream rate limit unavailable; using this process’s share');
      return undefined;
    });
  }
  const capped: RateLimiter = sharedLimiter ?? localLimiter;
  const limiter: RateLimiter = {
    async acquire(signal) {
      const asked = now();
      await capped.acquire(signal);
      metrics.rateLimitWait(now() - asked);
    },
  };
  const upstream = createUpstreamClient({
    baseUrl: config.toapisBaseUrl,
    apiKey: config.toapisApiKey,
    rateLimiter: limiter,
    dispatcher: http,
    timeoutMs: schedule.upstreamTimeoutMs,
    retry: scaledRetryBudgets(config.timeScale),
    logger: logger.child({ mod: 'upstream' }),
    onRequest: (info) => metrics.upstreamRequest(info),
  });
  const tmpDir = join(tmpdir(), 'vidu-bot');
  await mkdir(tmpDir, { recursive: true });

  let applicationId = '';
  // What past jobs took (submit → result), by model/resolution/length: shapes the polling.
  const history = createDurationHistory();
  history.load(await store.meta.get('poll-history').catch(() => undefined));
  let historySave: NodeJS.Timeout | undefined;
  const learnDuration = (record: TaskRecord) => {
    if (record.outcome?.kind !== 'video' || !record.upstream) return;
    history.observe(record.request, record.outcome.completedAt - record.upstream.submittedAt);
    historySave ??= setTimeout(() => {
      historySave = undefined;
      store.meta.set('poll-history', history.toJSON()).catch((err: unknown) => logger.debug({ err }, 'could not save poll history'));
    }, 60_000 * config.timeScale).unref();
  };
  // Interaction webhooks have per-token buckets and no global limit (platform.md §7); through
  // client.rest every progress edit would queue behind @discordjs/rest's 50/s global budget.
  const webhookRest = new REST({
    ...(config.discordApiUrl ? { api: config.discordApiUrl } : {}),
    timeout: overrides.rest?.timeout ?? 120_000,
    retries: overrides.rest?.retries ?? 2,
    globalRequestsPerSecond: Number.MAX_SAFE_INTEGER,
  });
  const outbox = createOutbox(client.rest, () => applicationId, { onError: (err) => metrics.discordError(err.code, err.status), webhookRest });
  const settings = createSettingsCache({ kv: store.settings, logger: logger.child({ mod: 'settings' }) });
  await settings.start();
  const usage = createUsageLedger({ kv: store.meta, now });
  const alerts = createAdminAlerts({
    outbox,
    settings,
    kv: store.meta,
    ownerOf: (guildId) => client.guilds.cache.get(guildId)?.ownerId,
    localeOf: (guildId) => client.guilds.cache.get(guildId)?.preferredLocale ?? 'en-US',
    logger: logger.child({ mod: 'alerts' }),
    now,
  });
  const engine = createEngine({
    store,
    upstream,
    outbox,
    download: {
      bytes: (url, o) => downloadBytes(url, { ...o, dispatcher: http }),
      toFile: (url, path, o) => downloadToFile(url, path, { ...o, dispatcher: http }),
    },
    logger: logger.child({ mod: 'engine' }),
    schedule,
    taskDeadlineMs: config.taskDeadlineMs,
    tmpDir,
    guildUploadLimit: (guildId) => {
      const tier = guildId ? client.guilds.cache.get(guildId)?.premiumTier : undefined;
      return (tier !== undefined ? BOOST_UPLOAD_LIMIT[tier] : undefined) ?? DEFAULT_UPLOAD_LIMIT_BYTES;
    },
    lastFrame: createLastFrameExtractor({
      downloadToFile: (url, path, o) => downloadToFile(url, path, { ...o, dispatcher: http }),
      tmpDir,
      timeoutMs: schedule.videoDownloadTimeoutMs,
    }),
    libraryImage: createSubjectLibrary(store.meta).image,
    secrets,
    now,
    random,
    pollDelayMs: (record, phase, progress) => nextPollDelayMs(phase, schedule, random, undefined, pollHintFor(record, progress, now(), history)),
    events: {
      finished(record) {
        if (record.outcome?.kind !== 'failed') return;
        // Failed jobs are not counted against daily limits.
        if (record.quota && record.owner.guildId) {
          void usage.refund(record.owner.guildId, record.owner.userId, record.quota.weight, record.quota.day).catch((err: unknown) => logger.warn({ err }, 'refund failed'));
        }
        if (record.outcome.code === 'out_of_credits') void alerts.outOfCredits(record.owner.guildId);
      },
    },
  });
  const scheduler = createScheduler({
    store,
    async step(id) {
      const startedAt = now();
      const record = await engine.step(id);
      metrics.trackStep(id, record, startedAt);
      if (record?.state === 'done' && record.outcome?.kind === 'video' && record.upstream && (record.delivered?.at ?? 0) >= startedAt) {
        learnDuration(record);
      }
      return record;
    },
    logger: logger.child({ mod: 'scheduler' }),
    now,
    owns,
    onDisowned: (record) => handOver(record),
    onLate: (ms) => metrics.pollLate(ms),
  });
  metrics.watchScheduler(() => scheduler.size);
  client.on('viduAdopt', (id: string, userId: string) => scheduler.schedule(id, userId));
  /** A task that reached this shard but belongs to another: its owner schedules it. */
  function handOver(record: TaskRecord): void {
    const shard = shardOf(owningGuildId(record.owner));
    const context = { id: record.id, userId: record.owner.userId };
    if (!client.shard) {
      logger.warn({ task: record.id, shard }, 'no sharding manager to hand the task to; its shard resumes it at its next start');
      return;
    }
    client.shard
      .broadcastEval((c, t) => void c.emit('viduAdopt', t.id, t.userId), { shard, context })
      .catch((err: unknown) => logger.warn({ err, task: record.id, shard }, 'hand-over failed; its shard resumes it at its next start'));
  }

  let accepting = true;
  const seen = new Set<string>();
  const ctx: CommandContext = {
    store,
    scheduler,
    gate: createRateGate({ maxInFlight: config.userMaxInFlight, submitsPerMinute: config.userSubmitsPerMinute }, now),
    logger: logger.child({ mod: 'commands' }),
    now,
    random,
    tokenMarginMs: schedule.tokenMarginMs,
    download: { bytes: (url, o) => downloadBytes(url, { ...o, dispatcher: http }) },
    settings,
    usage,
    balance: () => upstream.getBalance(),
    lastStarts: new Map(),
    accepting: () => accepting,
    firstSighting(id) {
      if (seen.has(id)) return false;
      seen.add(id);
      if (seen.size > 10_000) seen.delete(seen.values().next().value!);
      return true;
    },
  };
  const route = createRouter(COMMANDS, COMPONENTS, ctx);
  client.on(Events.InteractionCreate, (interaction) => void route(interaction));
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));

  const ready = new Promise<void>((resolve, reject) => {
    client.once(Events.ClientReady, (c) => {
      void (async () => {
      try {
        applicationId = c.application.id;
        await registerCommandsIfChanged({ rest: client.rest, applicationId, commands: COMMANDS, store, logger });
        const resumeStarted = now();
        const resumed = await scheduler.resumeAll();
        logger.info({ user: c.user.tag, resumed, resumeMs: now() - resumeStarted, ...(shardIds ? { shards: shardIds, shardCount } : {}) }, 'ready');
        resolve();
      } catch (err) {
        reject(err);
      }
      })();
    });
  });
  // Up before the login: a port in use fails the start at once, and /healthz says "gateway down"
  // until the shards are connected.
  const httpServer =
    config.httpPort === undefined
      ? undefined
      : await startHttpServer({
          // One port per shard process: HTTP_PORT + its first shard id.
          port: config.httpPort === 0 ? 0 : config.httpPort + (shardIds?.[0] ?? 0),
          checks: {
            store: () => store.ping(),
            gateway: () => Promise.resolve(client.ws.shards.size > 0 && client.ws.shards.every((shard) => shard.status === Status.Ready)),
          },
          metrics: () => metrics.registry.render(),
        });
  if (httpServer) logger.info({ port: httpServer.port }, 'serving /healthz and /metrics');
  try {
    await client.login(config.discordToken);
    await ready;
  } catch (err) {
    await httpServer?.close();
    await sharedLimiter?.close();
    throw err;
  }

  return {
    client,
    logger,
    config,
    metrics,
    httpPort: httpServer?.port,
    async stop(timeoutMs = 5_000) {
      accepting = false;
      await httpServer?.close();
      clearTimeout(historySave);
      settings.stop();
      // Let running steps finish; whatever still waits on the network after that is cut off
      // and resumes from its stored state on the next start.
      await scheduler.stop(timeoutMs);
      await http.destroy();
      await sharedLimiter?.close();
      webhookRest.clearHashSweeper();
      webhookRest.clearHandlerSweeper();
      await client.destroy();
      await store.close();
      logger.info('stopped');
      logger.flush();
    },
  };
}

/** Entry point: `.env` if present, one clear line on bad configuration, graceful signals. */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let bot: RunningBot | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // A signal during start-up: nothing is running yet that needs a graceful stop.
    if (!bot) process.exit(0);
    bot.logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => process.exit(1), 15_000);
    hard.unref();
    bot.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A shard process (src/shard.ts) whose manager is gone stops instead of running unsupervised.
  if (process.send) process.on('disconnect', () => shutdown('manager gone'));
  try {
    bot = await startBot(process.env);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StoreError) {
      console.error(`vidu-bot: ${err.message}`);
    } else if (err instanceof Error && /token/i.test(err.name + err.message)) {
      console.error('vidu-bot: DISCORD_TOKEN was rejected by Discord (check the bot token)');
    } else {
      console.error(`vidu-bot: failed to start: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
