import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, Events, GatewayIntentBits, GuildPremiumTier, REST, Status } from 'discord.js';
import type pino from 'pino';
import { Agent } from 'undici';
import { COMMANDS, COMPONENTS } from '../commands/index.js';
import type { CommandContext } from '../commands/types.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES, createDelivery } from './discord/deliver.js';
import { createInteractionDedupe } from './discord/dedupe.js';
import { BoundedMap } from './bounded-map.js';
import { createOutbox } from './discord/outbox.js';
import { createShardOwnership } from './discord/shards.js';
import { registerCommandsIfChanged } from './discord/register.js';
import { createRouter } from './discord/router.js';
import { startHttpServer } from './http/server.js';
import { createLogger, type Logger } from './log.js';
import { createBotMetrics, type BotMetrics } from './metrics.js';
import { createFitter } from './media/fit.js';
import { createAdminAlerts } from './settings/alerts.js';
import { createMemberPrefs } from './settings/member.js';
import { createSettingsCache } from './settings/store.js';
import { openCounters } from './settings/counters.js';
import { createMemberGate, createOperatorLedger, type OperatorLimits } from './settings/operator.js';
import { createUsageLedger } from './settings/usage.js';
import { RECONCILE_MARGIN_MS, createReservationCheck, settleSpend } from './settings/spend.js';
import { createEngine } from './tasks/engine.js';
import { etaOf } from './tasks/eta.js';
import { createLastFrameExtractor } from './tasks/frames.js';
import { loadPersistedHistory } from './tasks/history.js';
import { nextPollDelayMs, pollHintFor, scaledSchedule } from './tasks/schedule.js';
import { createScheduler } from './tasks/scheduler.js';
import { createStoryChain } from './tasks/story.js';
import { StoreError, absentIfCorrupt, describeLocation, openStore } from './store/index.js';
import { createUpstreamClient } from './upstream/client.js';
import { downloadBytes, downloadToFile } from './upstream/download.js';
import { createFetchGuard } from './upstream/guard.js';
import { SWEEP_INTERVAL_MS } from './store/sweep.js';
import { createProcessTmpDir } from './tasks/tmpdir.js';
import { createSubjectLibrary } from './subjects/library.js';
import { scaledRetryBudgets } from './upstream/retry.js';
import { createUpstreamBudgets } from './upstream/budgets.js';
import { withCallbackUrl } from './upstream/callback.js';
import { scaledPushFallback } from './tasks/schedule-push.js';
import { createPushCompletion } from './webhooks/wiring.js';

/**
 * Member × server pairs whose last job start this process remembers for `/vidu-admin limits
 * cooldown`, least recently active forgotten first. Default 10 000 (a few hundred KB at most).
 */
const LAST_STARTS_KEPT = 10_000;

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
  const secrets = [config.discordToken, config.toapisApiKey, ...(config.webhookSecret ? [config.webhookSecret] : [])];
  const logger = createLogger({ level: config.logLevel, secrets, destination: overrides.logDestination });
  const schedule = scaledSchedule(config.timeScale);

  // A row that does not parse is moved to quarantine once and logged here; the bot carries on.
  const store = await openStore(config.store, {
    onCorrupt: (row) => logger.warn({ family: row.family, key: row.key, issue: row.issue, quarantine: row.quarantineKey }, 'corrupted store row set aside'),
  });
  logger.info({ store: describeLocation(config.store) }, 'store open');

  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // Nothing the bot sends pings anyone unless a payload names the user explicitly.
    allowedMentions: { parse: [] },
    rest: {
      ...(config.discordApiUrl ? { api: config.discordApiUrl } : {}),
      // Uploads of large mp4s need more than the 15 s default.
      timeout: overrides.rest?.timeout ?? 120_000,
      retries: overrides.rest?.retries ?? 2,
    },
  });

  const shards = createShardOwnership(client, logger);
  const { shardIds, shardCount } = shards;
  // Every later line (and child logger) says which shard process wrote it.
  if (shardIds) logger.setBindings({ shard: shardIds.length === 1 ? shardIds[0] : shardIds });
  const metrics = createBotMetrics();

  // Our own connection pool: @discordjs/rest installs its bundled undici as the global
  // dispatcher, which our undici's interceptors cannot drive.
  const http = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  // Every URL we download (upstream videos and frames, Discord attachments) is checked: https,
  // public addresses only, redirects re-checked; the configured loopback fakes are trusted.
  const guard = createFetchGuard({ trustedOrigins: [config.toapisBaseUrl, config.discordApiUrl] });
  // The documented budgets hold across processes: shared through Redis when the store is Redis;
  // otherwise (or while Redis does not answer) each process keeps to its shards' share of them.
  const budgets = await createUpstreamBudgets({
    group: config.rateGroup,
    ...(config.store.kind === 'redis' ? { redisUrl: config.store.url } : {}),
    share: shardIds ? shardIds.length / shardCount : 1,
    logger: logger.child({ mod: 'ratelimit' }),
    onWait: (_op, ms) => metrics.rateLimitWait(ms),
    now,
  });
  const baseUpstream = createUpstreamClient({
    baseUrl: config.toapisBaseUrl,
    apiKey: config.toapisApiKey,
    rateLimits: budgets.rateLimits,
    dispatcher: http,
    timeoutMs: schedule.upstreamTimeoutMs,
    retry: scaledRetryBudgets(config.timeScale),
    logger: logger.child({ mod: 'upstream' }),
    onRequest: (info) => metrics.upstreamRequest(info),
  });
  // Every submit names TOAPIS_WEBHOOK_URL, until toapis says the Token has no webhook.
  let webhookAlertPending = false;
  const upstream = config.webhookUrl
    ? withCallbackUrl(baseUpstream, {
        url: config.webhookUrl,
        onNotConfigured: () => {
          logger.error('TOAPIS_WEBHOOK_URL is set but the toapis Token has no webhook configured; submitting without it until restart');
          // The admins of the server whose job met it are told, once (see events.submitted).
          webhookAlertPending = true;
        },
      })
    : baseUpstream;
  // This process's own staging directory; what dead processes left behind is removed now.
  const staging = await createProcessTmpDir({ base: join(tmpdir(), 'vidu-bot') });
  const tmpDir = staging.path;
  if (staging.swept > 0) logger.info({ swept: staging.swept }, 'removed staging directories of earlier processes');

  let applicationId = '';
  // What past jobs took (submit → result), by model/resolution/length: shapes the polling.
  const durations = await loadPersistedHistory({ store, logger, saveDelayMs: 60_000 * config.timeScale });
  const { history } = durations;
  // Webhooks first, polling as the fallback (TOAPIS_WEBHOOK_SECRET): events wake their job on its shard.
  const push = config.webhookSecret
    ? createPushCompletion({
        secret: config.webhookSecret,
        store,
        ...(shards.owns ? { owns: shards.owns } : {}),
        wakeHere: (record) => scheduler.schedule(record.id, record.owner.userId, undefined, record.state),
        handOver: (record) => shards.handOver(record),
        // The counters open below, before any event can arrive (the HTTP server starts after them).
        claim: (key, ttlMs) => counters.claim(key, ttlMs),
        history,
        fallback: scaledPushFallback(config.timeScale),
        logger: logger.child({ mod: 'webhook' }),
        now,
        random,
      })
    : undefined;
  // Interaction webhooks have per-token buckets and no global limit (platform.md §7); through
  // client.rest every progress edit would queue behind @discordjs/rest's 50/s global budget.
  const webhookRest = new REST({
    ...(config.discordApiUrl ? { api: config.discordApiUrl } : {}),
    timeout: overrides.rest?.timeout ?? 120_000,
    retries: overrides.rest?.retries ?? 2,
    globalRequestsPerSecond: Number.MAX_SAFE_INTEGER,
  });
  const outbox = createOutbox(client.rest, () => applicationId, { onError: (err) => metrics.discordError(err.code, err.status), webhookRest });
  // Admins of a server whose settings failed closed are told once the client can reach them.
  let tellFailedClosed = () => {};
  const settings = createSettingsCache({ store, logger: logger.child({ mod: 'settings' }), onRefresh: () => tellFailedClosed() });
  await settings.start();
  // Expired rows are deleted on SQLite (keyv alone never does): at start, then periodically.
  const sweep = () =>
    void store.sweepExpired().then(
      (n) => n > 0 && logger.info({ deleted: n }, 'expired store rows deleted'),
      (err: unknown) => logger.warn({ err }, 'store sweep failed'),
    );
  sweep();
  const sweepTimer = setInterval(sweep, SWEEP_INTERVAL_MS * config.timeScale).unref();
  const usage = createUsageLedger({ store, now });
  // Operator caps and member safeguards: in the store, atomic across shards on Redis.
  const counters = await openCounters(config.store, store);
  const operatorLimits: OperatorLimits = { userDailyLimit: config.userDailyLimit, dailyBudget: config.dailyBudget, allowDms: config.allowDms };
  const operator = createOperatorLedger({ counters, limits: operatorLimits, now });
  const gate = createMemberGate({
    counters,
    limits: { maxInFlight: config.userMaxInFlight, submitsPerMinute: config.userSubmitsPerMinute },
    // A job lost in a crash stops counting once no job could still be running.
    inFlightMaxAgeMs: config.taskDeadlineMs + 60 * 60 * 1000,
    subjectSavesPerHour: config.subjectSavesPerHour,
    now,
  });
  // A kill between reserving a job's weight and storing its record leaves a reservation without
  // a job (never acknowledged): give those back, at start and then every minute. Only
  // reservations older than the margin are looked at — another shard may be storing a newer one.
  const checkReservations = createReservationCheck({
    store,
    operator,
    usage,
    guildIds: () => settings.guildIds().filter((guildId) => shards.owns?.({ guildId }) ?? true),
    marginMs: RECONCILE_MARGIN_MS * config.timeScale,
    now,
  });
  const reconcile = () =>
    void checkReservations().then(
      ({ operator: op, server }) => op + server > 0 && logger.warn({ operator: op, server }, 'gave back reservations of jobs that were never stored'),
      (err: unknown) => logger.warn({ err }, 'reservation check failed'),
    );
  reconcile();
  const reconcileTimer = setInterval(reconcile, RECONCILE_MARGIN_MS * config.timeScale).unref();
  const alerts = createAdminAlerts({
    outbox,
    settings,
    store,
    ownerOf: (guildId) => client.guilds.cache.get(guildId)?.ownerId,
    localeOf: (guildId) => client.guilds.cache.get(guildId)?.preferredLocale ?? 'en-US',
    logger: logger.child({ mod: 'alerts' }),
    now,
  });
  tellFailedClosed = () => void alerts.settingsFailedClosed();
  const memberPrefs = createMemberPrefs({ family: store.memberPrefs });
  // Only finished videos are downloaded to files: nothing but an MP4/QuickTime is posted.
  const downloadFile = (url: string, path: string, o: { maxBytes: number; timeoutMs: number }) => downloadToFile(url, path, { ...o, guard, expect: 'mp4' });
  const delivery = createDelivery({
    outbox,
    store,
    logger: logger.child({ mod: 'deliver' }),
    schedule,
    download: { toFile: downloadFile },
    tmpDir,
    guildUploadLimit: (guildId) => {
      const tier = guildId ? client.guilds.cache.get(guildId)?.premiumTier : undefined;
      return (tier !== undefined ? BOOST_UPLOAD_LIMIT[tier] : undefined) ?? DEFAULT_UPLOAD_LIMIT_BYTES;
    },
    fitter: createFitter(),
    wantsPings: async (userId) => (await memberPrefs.get(userId)).pings,
    eta: (record) => etaOf(record, now(), history.estimate(record.request)),
    now,
  });
  const engine = createEngine({
    store,
    upstream,
    delivery,
    download: { bytes: (url, o) => downloadBytes(url, { ...o, guard }) },
    logger: logger.child({ mod: 'engine' }),
    schedule,
    taskDeadlineMs: config.taskDeadlineMs,
    lastFrame: createLastFrameExtractor({
      downloadToFile: downloadFile,
      tmpDir,
      timeoutMs: schedule.videoDownloadTimeoutMs,
    }),
    libraryImage: createSubjectLibrary(store, { now }).image,
    secrets,
    now,
    random,
    pollDelayMs: push
      ? (record) => push.pollDelayMs(record)
      : (record, phase, progress) => nextPollDelayMs(phase, schedule, random, undefined, pollHintFor(record, progress, now(), history)),
    ...(push ? { push: push.hooks } : {}),
    stopMark: (jobId) => store.stopMarks.get(jobId).catch(absentIfCorrupt),
    story: createStoryChain({
      store,
      schedule: (id, userId) => scheduler.schedule(id, userId),
      operator,
      usage,
      logger: logger.child({ mod: 'story' }),
      now,
    }),
    events: {
      submitted(record) {
        if (!webhookAlertPending) return;
        webhookAlertPending = false;
        void alerts.webhookNotConfigured(record.owner.guildId);
      },
      settle: (record) => settleSpend({ operator, usage, gate }, record),
      finished(record) {
        if (record.outcome?.kind !== 'failed') return;
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
        durations.observe(record);
      }
      return record;
    },
    logger: logger.child({ mod: 'scheduler' }),
    now,
    owns: shards.owns,
    onDisowned: (record) => shards.handOver(record),
    onLate: (ms) => metrics.pollLate(ms),
  });
  metrics.watchScheduler(() => scheduler.size);
  shards.onAdopt((id, userId) => scheduler.schedule(id, userId));

  let accepting = true;
  const dedupe = createInteractionDedupe();
  const ctx: CommandContext = {
    store,
    scheduler,
    gate,
    operator,
    operatorLimits,
    logger: logger.child({ mod: 'commands' }),
    now,
    random,
    tokenMarginMs: schedule.tokenMarginMs,
    download: {
      bytes: (url, o) => downloadBytes(url, { ...o, guard }),
      toFile: downloadFile,
    },
    outbox,
    tmpDir,
    settings,
    usage,
    balance: () => upstream.getBalance(),
    upstreamTask: (taskId) => upstream.getTask(taskId),
    lastStarts: new BoundedMap(LAST_STARTS_KEPT),
    accepting: () => accepting,
    firstSighting: dedupe.firstSighting,
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
          tellFailedClosed();
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
          host: config.httpHost,
          checks: {
            store: () => store.ping(),
            gateway: () => Promise.resolve(client.ws.shards.size > 0 && client.ws.shards.every((shard) => shard.status === Status.Ready)),
          },
          metrics: () => metrics.render(),
          ...(push ? { routes: push.routes } : {}),
        });
  if (httpServer) logger.info({ port: httpServer.port }, 'serving /healthz and /metrics');
  try {
    await client.login(config.discordToken);
    await ready;
  } catch (err) {
    await httpServer?.close();
    await budgets.close();
    await counters.close();
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
      durations.stop();
      settings.stop();
      clearInterval(sweepTimer);
      clearInterval(reconcileTimer);
      // Let running steps finish; whatever still waits on the network after that is cut off
      // and resumes from its stored state on the next start.
      await scheduler.stop(timeoutMs);
      await http.destroy();
      await budgets.close();
      await guard.dispatcher.destroy();
      webhookRest.clearHashSweeper();
      webhookRest.clearHandlerSweeper();
      await client.destroy();
      await counters.close();
      await store.close();
      // After the steps stopped: none is still writing a staged file.
      await staging.remove().catch(() => undefined);
      logger.info('stopped');
      logger.flush();
    },
  };
}

/** Discord refused the bot token (discord.js's TokenInvalid, or a 401 from the API). */
function isTokenRejection(err: unknown): boolean {
  return (err instanceof DiscordjsError && err.code === DiscordjsErrorCodes.TokenInvalid) || (err instanceof DiscordAPIError && err.status === 401);
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
    } else if (isTokenRejection(err)) {
      console.error('vidu-bot: DISCORD_TOKEN was rejected by Discord (check the bot token)');
    } else {
      console.error(`vidu-bot: failed to start: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
