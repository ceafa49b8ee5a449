import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Events, GatewayIntentBits, GuildPremiumTier } from 'discord.js';
import type pino from 'pino';
import { Agent } from 'undici';
import { COMMANDS, COMPONENTS } from '../commands/index.js';
import type { CommandContext } from '../commands/types.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { createOutbox } from './discord/outbox.js';
import { registerCommandsIfChanged } from './discord/register.js';
import { createRouter } from './discord/router.js';
import { createLogger, type Logger } from './log.js';
import { createAdminAlerts } from './settings/alerts.js';
import { createSettingsCache } from './settings/store.js';
import { createUsageLedger } from './settings/usage.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES, createEngine } from './tasks/engine.js';
import { createLastFrameExtractor } from './tasks/frames.js';
import { createRateGate } from './tasks/limits.js';
import { scaledSchedule } from './tasks/schedule.js';
import { createScheduler } from './tasks/scheduler.js';
import { StoreError, openStore, redactUrl } from './tasks/store.js';
import { createUpstreamClient } from './upstream/client.js';
import { downloadBytes, downloadToFile } from './upstream/download.js';
import { createRateLimiter } from './upstream/ratelimit.js';
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

  // Our own connection pool: @discordjs/rest installs its bundled undici as the global
  // dispatcher, which our undici's interceptors cannot drive.
  const http = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  const limiter = createRateLimiter({ ratePerSecond: config.upstreamMaxRps });
  const upstream = createUpstreamClient({
    baseUrl: config.toapisBaseUrl,
    apiKey: config.toapisApiKey,
    rateLimiter: limiter,
    dispatcher: http,
    timeoutMs: schedule.upstreamTimeoutMs,
    retry: scaledRetryBudgets(config.timeScale),
    logger: logger.child({ mod: 'upstream' }),
  });
  const tmpDir = join(tmpdir(), 'vidu-bot');
  await mkdir(tmpDir, { recursive: true });

  let applicationId = '';
  const outbox = createOutbox(client.rest, () => applicationId);
  const settings = createSettingsCache({ kv: store.settings, logger: logger.child({ mod: 'settings' }) });
  await settings.start();
  const usage = createUsageLedger({ kv: store.meta, now });
  const alerts = createAdminAlerts({
    outbox,
    settings,
    kv: store.meta,
    ownerOf: (guildId) => client.guilds.cache.get(guildId)?.ownerId,
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
    secrets,
    now,
    random,
    events: {
      finished(record) {
        if (record.outcome?.kind !== 'failed') return;
        // Failed jobs are not counted against daily limits.
        if (record.quota && record.owner.guildId) {
          void usage.refund(record.owner.guildId, record.owner.userId, record.quota.weight, record.quota.day).catch((err) => logger.warn({ err }, 'refund failed'));
        }
        if (record.outcome.code === 'out_of_credits') void alerts.outOfCredits(record.owner.guildId);
      },
    },
  });
  const scheduler = createScheduler({ store, step: engine.step, logger: logger.child({ mod: 'scheduler' }), now });

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
    client.once(Events.ClientReady, async (c) => {
      try {
        applicationId = c.application.id;
        await registerCommandsIfChanged({ rest: client.rest, applicationId, commands: COMMANDS, store, logger });
        const resumed = await scheduler.resumeAll();
        logger.info({ user: c.user.tag, resumed }, 'ready');
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
  await client.login(config.discordToken);
  await ready;

  return {
    client,
    logger,
    config,
    async stop(timeoutMs = 5_000) {
      accepting = false;
      settings.stop();
      // Let running steps finish; whatever still waits on the network after that is cut off
      // and resumes from its stored state on the next start.
      await scheduler.stop(timeoutMs);
      await http.destroy();
      await client.destroy();
      await store.close();
      logger.info('stopped');
      logger.flush?.();
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
