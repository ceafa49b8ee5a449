/**
 * Sharded entry point (`npm run start:sharded`): discord.js's ShardingManager runs one process
 * per shard, each a whole bot (src/main.ts) that owns the tasks of its guilds
 * (`(guild_id >> 22) % shards`, tasks without a guild on shard 0). Needs `STORE_URL=redis://…`
 * so every process sees the same tasks and shares one upstream request cap.
 *
 * The shard count is `VIDU_SHARDS`, or Discord's recommendation (`GET /gateway/bot`) for `auto`;
 * `VIDU_SHARD_IDS` runs only some of them here, so several machines can split one bot.
 * A shard that dies is started again (backing off while it keeps dying) and resumes its own
 * tasks from the store; SIGTERM/SIGINT stop every shard gracefully.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REST, Routes, ShardingManager, type Shard } from 'discord.js';
import type pino from 'pino';
import { ConfigError, parseConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';

/** Discord's recommended shard count (`shards` of `GET /gateway/bot`), asked through `DISCORD_API_URL` when set. */
export async function recommendedShardCount(config: Pick<Config, 'discordToken' | 'discordApiUrl'>): Promise<number> {
  const rest = new REST({ ...(config.discordApiUrl ? { api: config.discordApiUrl } : {}), retries: 1, timeout: 15_000 }).setToken(config.discordToken);
  const body = (await rest.get(Routes.gatewayBot())) as { shards?: unknown };
  const shards = Number(body.shards);
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`GET /gateway/bot returned no usable shard count (${String(body.shards)})`);
  return shards;
}

/** Waits between respawns of a shard that keeps dying: 1 s doubling to 30 s (× VIDU_TIME_SCALE). */
const RESPAWN_BASE_MS = 1_000;
const RESPAWN_CAP_MS = 30_000;
/** A shard up this long is healthy again: its next death respawns after the base wait. */
const HEALTHY_AFTER_MS = 60_000;
/** Discord wants IDENTIFYs of one `max_concurrency` bucket ≥ 5 s apart; discord.js's default. */
const SPAWN_DELAY_MS = 5_500;

export interface RunningShards {
  manager: ShardingManager;
  logger: Logger;
  shardCount: number;
  /** SIGTERM to every shard, waiting up to `timeoutMs` for them to exit. */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startShards(env: Record<string, string | undefined>, options: { logDestination?: pino.DestinationStream } = {}): Promise<RunningShards> {
  const config = parseConfig(env);
  const logger = createLogger({ level: config.logLevel, secrets: [config.discordToken, config.toapisApiKey], destination: options.logDestination }).child({
    mod: 'shards',
  });
  if (config.store.kind !== 'redis') {
    logger.warn('sharding over a SQLite store: every shard must run on this machine; use STORE_URL=redis://… to spread them');
  }
  if (config.shardIds && config.shards === 'auto') {
    throw new ConfigError('VIDU_SHARDS must be a number when VIDU_SHARD_IDS is set (every machine must agree on it)');
  }
  const shardCount = config.shards === 'auto' ? await recommendedShardCount(config) : config.shards;
  const shardList = config.shardIds ?? [...Array(shardCount).keys()];
  if (shardList.some((id) => id >= shardCount)) throw new ConfigError(`VIDU_SHARD_IDS names a shard ≥ VIDU_SHARDS (${shardCount})`);
  // The shard processes run this directory's main: main.js when compiled, main.ts under tsx.
  const self = fileURLToPath(import.meta.url);
  const file = fileURLToPath(new URL(`./main${self.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  const scale = config.timeScale;
  const manager = new ShardingManager(file, {
    totalShards: shardCount,
    shardList,
    token: config.discordToken,
    mode: 'process',
    // Respawns are ours (with a backoff): a shard that cannot start must not spin.
    respawn: false,
    execArgv: process.execArgv,
  });

  let stopping = false;
  const watch = (shard: Shard) => {
    let failures = 0;
    let readyAt = 0;
    shard.on('spawn', (child) => logger.info({ shard: shard.id, pid: 'pid' in child ? child.pid : undefined }, 'shard spawned'));
    shard.on('ready', () => {
      readyAt = Date.now();
      logger.info({ shard: shard.id }, 'shard ready');
    });
    shard.on('death', (child) => {
      if (stopping) return;
      if (readyAt && Date.now() - readyAt > HEALTHY_AFTER_MS * scale) failures = 0;
      const waitMs = Math.round(Math.min(RESPAWN_CAP_MS, RESPAWN_BASE_MS * 2 ** failures) * scale);
      failures++;
      const exit = 'exitCode' in child ? { exitCode: child.exitCode, signal: child.signalCode } : {};
      logger.warn({ shard: shard.id, ...exit, waitMs }, 'shard died; starting it again');
      setTimeout(() => {
        if (stopping || shard.process) return;
        shard.spawn(60_000).catch((err: unknown) => logger.error({ shard: shard.id, err }, 'shard did not come back'));
      }, waitMs);
    });
  };
  manager.on('shardCreate', watch);

  logger.info({ shards: shardCount, here: shardList }, 'starting shards');
  try {
    await manager.spawn({ amount: shardCount, delay: Math.round(SPAWN_DELAY_MS * scale), timeout: 60_000 });
  } catch (err) {
    stopping = true;
    for (const shard of manager.shards.values()) shard.process?.kill('SIGTERM');
    throw err;
  }
  logger.info({ shards: shardCount, here: shardList }, 'all shards ready');

  return {
    manager,
    logger,
    shardCount,
    async stop(timeoutMs = 20_000) {
      stopping = true;
      const exits = [...manager.shards.values()].flatMap((shard) => {
        const child = shard.process;
        if (!child || child.exitCode !== null || child.signalCode !== null) return [];
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        return [exited];
      });
      await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      logger.info('all shards stopped');
      logger.flush();
    },
  };
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let running: RunningShards | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!running) process.exit(0);
    running.logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    running = await startShards(process.env);
  } catch (err) {
    console.error(`vidu-bot: ${err instanceof ConfigError ? err.message : `shards failed to start: ${err instanceof Error ? err.message : String(err)}`}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
