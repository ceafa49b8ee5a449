import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_BUCKET_PREFIX } from '../../src/upstream/ratelimit-redis.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startFakeDiscord, visibleAttachments, type FakeDiscord } from '../fakes/discord.js';
import { DEFAULT_IDS, slashCommand, snowflake, type RawInteraction } from '../fakes/interactions.js';
import { startFakeToapis, type FakeToapis } from '../fakes/toapis.js';
import { API_KEY, BOT_TOKEN, isFinal } from '../e2e/world.js';
import { botEnv } from '../support/child.js';
import { REDIS_DB_OFFSET, redisDatabaseUrl } from '../support/redis.js';

/**
 * `src/shard.ts` for real: discord.js's ShardingManager forks two shard processes (src/main.ts
 * under tsx) against one fake Discord with two gateway shards, one fake toapis and one Redis
 * (a database of its own). Jobs run in a guild of each shard and in a DM; one shard is SIGKILLed mid-job and
 * comes back. Every job must be delivered exactly once, by the shard that owns it.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The shards' own database (emptied before and after). */
const redisUrl = () => redisDatabaseUrl(REDIS_DB_OFFSET.shards);

/** The manager process; its shards inherit its stdout, so `lines` holds every process's log. */
function spawnShards(env: Record<string, string>, cwd: string) {
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX, `${ROOT}src/shard.ts`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const feed = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const json = () => lines.flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : []));
  return { child, lines, exited, json };
}

/** Polls until `check` returns something truthy. */
async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000, lines?: string[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lines ? `; last output:\n${lines.slice(-25).join('\n')}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const WEBHOOK_SECRET = 'whsec-shards-0123456789abcdef0123456789abcdef';

const shardOf = (guildId: string | null) => (guildId === null ? 0 : Number((BigInt(guildId) >> 22n) % 2n));

describe.skipIf(!process.env.REDIS_URL)('sharded with Redis: two shard processes (own database)', () => {
  // Consecutive timestamps: (id >> 22) % 2 puts one guild on each shard.
  const base = BigInt(DEFAULT_IDS.guildId);
  const guildIds = [base, base + (1n << 22n)].map(String).sort((a, b) => shardOf(a) - shardOf(b));
  const channelIds = guildIds.map(() => snowflake());
  let toapis: FakeToapis;
  let discord: FakeDiscord;
  let dir: string;
  let shards: ReturnType<typeof spawnShards>;
  /** The shards' own store, read by the test to see when no job has work left. */
  let store: Store | undefined;
  const admin = createClient({ url: process.env.REDIS_URL ? redisUrl() : undefined });

  beforeAll(async () => {
    expect(guildIds.map(shardOf)).toEqual([0, 1]);
    await admin.connect();
    await admin.flushDb();
    toapis = await startFakeToapis({ apiKey: API_KEY, plan: { queuedMs: 300, runMs: 2_500 } });
    discord = await startFakeDiscord({
      botToken: BOT_TOKEN,
      shardCount: 2,
      guilds: guildIds.map((id, i) => ({ id, channels: [{ id: channelIds[i] }] })),
    });
    dir = await mkdtemp(join(tmpdir(), 'vidu-shards-'));
    shards = spawnShards(
      botEnv(
        { discordToken: BOT_TOKEN, toapisApiKey: API_KEY, toapisUrl: toapis.url, discordApiUrl: discord.apiUrl, storeUrl: redisUrl() },
        // VIDU_SHARDS auto: taken from GET /gateway/bot (the fake says 2).
        // The receiver is up on every shard (HTTP_PORT + shard id; 0 = any free port); the fake
        // toapis sends events only once a test gives it a URL.
        { VIDU_TIME_SCALE: '0.02', VIDU_SHARDS: 'auto', TOAPIS_WEBHOOK_SECRET: WEBHOOK_SECRET, HTTP_PORT: '0' },
      ),
      dir,
    );
    // Not 'all shards ready': the manager logs that on discord.js's shard `ready` (the gateway
    // session), while each shard logs its own 'ready' only after registering commands and resuming
    // its jobs — on a loaded machine, later. Wait for what the test then asserts on.
    await until(() => new Set(shards.json().flatMap((l) => (l.msg === 'ready' ? [l.shard] : []))).size === 2, 'both shards ready', 60_000, shards.lines);
    store = await openStore(redisUrl());
  }, 90_000);

  afterAll(async () => {
    if (shards && shards.child.exitCode === null) {
      shards.child.kill('SIGTERM');
      const { code } = await shards.exited;
      expect(code).toBe(0);
    }
    await Promise.allSettled([discord?.close(), toapis?.close(), store?.close()]);
    await admin.flushDb().catch(() => undefined);
    await admin.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  /** A /vidu from its own member (member limits are per process), in a guild or a DM. */
  function vidu(guildId: string | null, n: number): RawInteraction {
    const channelId = guildId === null ? undefined : channelIds[guildIds.indexOf(guildId)];
    return slashCommand({
      name: 'vidu',
      guildId,
      ...(channelId ? { channelId } : {}),
      user: { id: String(BigInt(DEFAULT_IDS.userId) + BigInt(n)) },
      options: [{ name: 'prompt', type: 3, value: `sharded job ${n}` }],
    });
  }

  /** Resolves once no job is pending in the store: every one is done, so no delivery can follow. */
  async function settled(): Promise<void> {
    const deadline = Date.now() + 30_000;
    // listPending can throw while a shard deletes a key mid-iteration (a keyv-redis iterator race,
    // reported separately); that is "not settled yet", so read again.
    const pendingCount = () =>
      store!.listPending().then(
        (p) => p.length,
        () => Number.POSITIVE_INFINITY,
      );
    while ((await pendingCount()) > 0) {
      if (Date.now() > deadline) throw new Error(`jobs still pending; last output:\n${shards.lines.slice(-25).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Lines of one task, with the shard that wrote them. */
  const taskLines = (id: string) => shards.json().filter((l) => l.task === id);
  /**
   * Waits for the job's `delivered` log line: the record is saved as done before the line is
   * written, and a child's log reaches the test through a pipe, so "nothing pending" can come first.
   */
  const deliveredBy = async (id: string) => {
    await until(() => taskLines(id).some((l) => l.msg === 'delivered'), `the delivered line of ${id}`, 10_000, shards.lines);
    return taskLines(id)
      .filter((l) => l.msg === 'delivered')
      .map((l) => l.shard);
  };
  const results = (id: string) =>
    [...discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename === `vidu-${id}.mp4`));

  it('each shard runs its guilds’ jobs (DMs on shard 0); a killed shard comes back, resumes its own, and every job is delivered once', async () => {
    const ready = shards.json().filter((l) => l.msg === 'ready');
    expect(ready.map((l) => l.shard).sort()).toEqual([0, 1]);
    expect(ready.every((l) => l.shardCount === 2 && l.resumed === 0)).toBe(true);

    const jobs = [vidu(guildIds[0]!, 1), vidu(guildIds[0]!, 2), vidu(guildIds[1]!, 3), vidu(guildIds[1]!, 4), vidu(guildIds[1]!, 5), vidu(null, 6)];
    for (const raw of jobs) await discord.injectInteraction(raw);
    await until(() => toapis.stats.tasksCreated === jobs.length, 'every job submitted', 30_000, shards.lines);
    expect(jobs.every((raw) => !isFinal(discord.originalMessage(raw.token) ?? { content: '', components: [], attachments: [] }))).toBe(true);

    // SIGKILL shard 1 mid-job: its three jobs are running upstream.
    const spawned = shards.json().filter((l) => l.msg === 'shard spawned' && l.shard === 1);
    const pid = Number(spawned.at(-1)!.pid);
    process.kill(pid, 'SIGKILL');
    await until(
      () => shards.json().some((l) => l.msg === 'shard died; starting it again' && l.shard === 1 && l.signal === 'SIGKILL'),
      'the manager saw it die',
    );
    const back = await until(() => shards.json().filter((l) => l.msg === 'ready' && l.shard === 1)[1], 'shard 1 ready again', 60_000, shards.lines);
    expect(back.resumed).toBe(3);

    for (const raw of jobs) {
      await until(() => results(raw.id).length > 0, `result of ${raw.id}`, 30_000, shards.lines);
    }
    // Every record done (none pending): a duplicate would have been delivered by now.
    await settled();
    expect(toapis.stats.tasksCreated).toBe(jobs.length);
    for (const raw of jobs) {
      const owner = shardOf(raw.guild_id ?? null);
      expect(results(raw.id), `results of ${raw.id}`).toHaveLength(1);
      expect(await deliveredBy(raw.id)).toEqual([owner]);
      // Nothing about this task was ever written by the other shard.
      expect(new Set(taskLines(raw.id).map((l) => l.shard))).toEqual(new Set([owner]));
    }
    // Both processes took their upstream tokens from the shared buckets in Redis.
    for (const bucket of ['submit', 'query']) expect(await admin.exists(`${REDIS_BUCKET_PREFIX}:${bucket}`)).toBe(1);
    expect(shards.lines.some((l) => l.includes('shared upstream rate limit unavailable'))).toBe(false);
  }, 120_000);

  it('a job that reaches the wrong shard is handed to its owner and delivered once', async () => {
    const raw = vidu(guildIds[1]!, 7);
    // Delivered on shard 0's gateway although its guild belongs to shard 1.
    await discord.injectInteraction(raw, { shardId: 0 });
    await until(() => results(raw.id).length > 0, 'the result', 30_000, shards.lines);
    await settled();
    expect(results(raw.id)).toHaveLength(1);
    expect(toapis.stats.tasksCreated).toBe(7);
    const deliveredOn = await deliveredBy(raw.id);
    const lines = taskLines(raw.id);
    expect(lines.filter((l) => l.msg === 'task belongs to another shard; handed over').map((l) => l.shard)).toEqual([0]);
    expect(deliveredOn).toEqual([1]);
  }, 60_000);

  it('a webhook event that reaches the other shard’s receiver is handed to the owner and delivered once', async () => {
    // Every event goes to shard 0's receiver, as a load balancer in front of both might send it.
    const port0 = await until(
      () => shards.json().find((l) => l.msg === 'serving /healthz and /metrics' && l.shard === 0)?.port,
      'shard 0 serving HTTP',
      10_000,
      shards.lines,
    );
    toapis.webhookConfig = { url: `http://127.0.0.1:${String(port0)}/webhooks/toapis`, secrets: [WEBHOOK_SECRET], retryDelaysMs: [50, 100, 200] };
    try {
      // Finishes well before the fallback look of a job like the earlier ones (≈ 2.8 s).
      toapis.nextTasks.push({ queuedMs: 100, runMs: 200 });
      const raw = vidu(guildIds[1]!, 8);
      await discord.injectInteraction(raw);
      await until(() => results(raw.id).length > 0, 'the result', 30_000, shards.lines);
      await settled();
      expect(results(raw.id)).toHaveLength(1);
      const deliveredOn = await deliveredBy(raw.id);
      const lines = taskLines(raw.id);
      // Taken by shard 0 (the event), run and delivered by shard 1 (the owner) only.
      expect(lines.filter((l) => l.msg === 'webhook event accepted').map((l) => l.shard)).toEqual([0]);
      expect(deliveredOn).toEqual([1]);
      expect(lines.filter((l) => l.msg === 'submitted').map((l) => l.shard)).toEqual([1]);
      expect(toapis.webhooks.attempts.filter((a) => a.status === 200)).toHaveLength(1);
    } finally {
      toapis.webhookConfig = undefined;
    }
  }, 60_000);
});
