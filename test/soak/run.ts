/**
 * `npm run soak`: N /vidu jobs of every mode, from many members across several servers (and
 * DMs), against the real bot process(es), while seeded faults hit every boundary at once and
 * the bot is SIGKILLed K times. Then it checks the guarantees and prints them:
 *
 *   0 jobs lost · 0 double-submitted · 0 double-posted · every failure visible to its member ·
 *   usage ledgers = weights of the jobs that succeeded · no temp files left
 *
 * Flags (or env): --jobs N (SOAK_JOBS, 1000) --kills K (SOAK_KILLS, 5) --seed S (SOAK_SEED,
 * random; printed) --store sqlite|redis (SOAK_STORE, sqlite) --scale X (VIDU_TIME_SCALE, 0.05)
 * --rate jobs/s (SOAK_RATE, 6) --fault-rate F (SOAK_FAULT_RATE, 1) --timeout-s T (SOAK_TIMEOUT_S, 900)
 * --out FILE (bench/results/soak-latest.json). Exit code 0 only when every check passes.
 *
 * On Redis the bot runs sharded (src/shard.ts, two shards over a private redis-server) and the
 * kills hit one shard of the two; store blips pause that redis-server. On SQLite one process is
 * killed and started again; store blips hold the database's write lock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { utcDay } from '../../src/settings/usage.js';
import { openStore } from '../../src/store/index.js';
import { ROOT, freePort, seeded, sleep } from '../../bench/lib.js';
import { startFakeDiscord, visibleAttachments, type FakeDiscord, type FakeMessage } from '../fakes/discord.js';
import { DEFAULT_IDS, slashCommand, type RawAttachment, type RawInteraction } from '../fakes/interactions.js';
import { startFakeToapis, type FakeTaskPlan, type FakeToapis } from '../fakes/toapis.js';
import { messageText } from '../e2e/world.js';
import { botEnv } from '../support/child.js';
import { pngBytes } from '../support/images.js';
import { startPrivateRedis } from '../support/redis.js';
import { bump, drawDiscordFault, upstreamChaos, webhookChaos, type FaultCounts } from './faults.js';

const API_KEY = 'sk-soak-key-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec-soak-0123456789abcdef0123456789abcdef';
/** The bot's HTTP port (the webhook receiver); on Redis, shard N listens on this + N. */
let webhookPort = 0;
const BOT_TOKEN = 'MSOAK0123456789.Gabcde.fakeBotTokenForSoak';
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** DESIGN.md: weighted video-seconds = duration × model weight (rounded up). */
const MODEL_WEIGHT = { 'viduq3-turbo': 1, viduq3: 1.5, 'viduq3-pro': 2 } as const;
const weightOf = (job: { model: keyof typeof MODEL_WEIGHT; duration: number }) => Math.ceil(job.duration * MODEL_WEIGHT[job.model]);

// ── parameters ───────────────────────────────────────────────────────────────────────────

const { values: flags } = parseArgs({
  options: {
    jobs: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    store: { type: 'string' },
    scale: { type: 'string' },
    rate: { type: 'string' },
    'fault-rate': { type: 'string' },
    'timeout-s': { type: 'string' },
    out: { type: 'string' },
    'store-blips': { type: 'string' },
  },
});
const num = (flag: string | undefined, env: string | undefined, fallback: number) => {
  const v = Number(flag ?? env ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`soak: bad number ${flag ?? env}`);
  return v;
};
const P = {
  jobs: Math.floor(num(flags.jobs, process.env.SOAK_JOBS, 1_000)),
  kills: Math.floor(num(flags.kills, process.env.SOAK_KILLS, 5)),
  seed: Math.floor(num(flags.seed, process.env.SOAK_SEED, Math.floor(Math.random() * 2 ** 31))),
  store: (flags.store ?? process.env.SOAK_STORE ?? 'sqlite') as 'sqlite' | 'redis',
  scale: num(flags.scale, process.env.VIDU_TIME_SCALE, 0.05),
  rate: num(flags.rate, process.env.SOAK_RATE, 6),
  faultRate: num(flags['fault-rate'], process.env.SOAK_FAULT_RATE, 1),
  timeoutS: num(flags['timeout-s'], process.env.SOAK_TIMEOUT_S, 900),
  out: flags.out ?? join(ROOT, 'bench', 'results', 'soak-latest.json'),
  /** Store outages per fault tick, relative (0 turns them off). */
  storeBlips: num(flags['store-blips'], process.env.SOAK_STORE_BLIPS, 1),
};
if (P.store !== 'sqlite' && P.store !== 'redis') throw new Error('soak: --store must be sqlite or redis');

const t0 = Date.now();
const log = (msg: string) => console.log(`[soak ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
log(`seed ${P.seed} · ${P.jobs} jobs · ${P.kills} kills · store ${P.store} · time scale ${P.scale} · ${P.rate} jobs/s · fault rate ×${P.faultRate}`);
log(`replay: npm run soak -- --seed ${P.seed} --jobs ${P.jobs} --kills ${P.kills} --store ${P.store}`);

// Independent streams: the job list depends on the seed only, not on how requests interleave.
const jobRandom = seeded(P.seed);
const upstreamRandom = seeded(P.seed ^ 0x5bd1e995);
const discordRandom = seeded(P.seed ^ 0x27d4eb2f);
const killRandom = seeded(P.seed ^ 0x165667b1);
const faults: FaultCounts = {};

// ── the world ────────────────────────────────────────────────────────────────────────────

const work = mkdtempSync(join(os.tmpdir(), 'vidu-soak-'));
/** The bot's TMPDIR: its temp files (downloads, frames) must all be gone at the end. */
const botTmp = join(work, 'tmp');
mkdirSync(botTmp, { recursive: true });

const GUILDS = 4;
const MEMBERS = 150;
const shardCount = P.store === 'redis' ? 2 : 1;
// Consecutive snowflake timestamps: (id >> 22) % 2 alternates, so both shards own servers.
const guildIds = Array.from({ length: GUILDS }, (_, g) => String(BigInt(DEFAULT_IDS.guildId) + (BigInt(g) << 22n)));
const channelIds = guildIds.map((_, g) => String(BigInt(DEFAULT_IDS.channelId) + 1_000n + BigInt(g)));
const ADMIN_ID = String(BigInt(DEFAULT_IDS.userId) + 9_999n);
const memberIds = Array.from({ length: MEMBERS }, (_, m) => String(BigInt(DEFAULT_IDS.userId) + 10_000n + BigInt(m)));

/** One job the soak sends, and what it expects of it. */
interface Job {
  n: number;
  tag: string;
  mode: 'text' | 'image' | 'first-last' | 'references' | 'subjects';
  model: keyof typeof MODEL_WEIGHT;
  duration: number;
  guildId: string | null;
  userId: string;
  plan: Partial<FakeTaskPlan>;
  raw?: RawInteraction;
  sentAtMs?: number;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(jobRandom() * xs.length)]!;

function drawJob(n: number): Job {
  const r = jobRandom();
  const mode: Job['mode'] = r < 0.35 ? 'text' : r < 0.55 ? 'image' : r < 0.7 ? 'first-last' : r < 0.85 ? 'references' : 'subjects';
  const model: Job['model'] = mode === 'references' || mode === 'subjects' ? 'viduq3' : pick(['viduq3-turbo', 'viduq3-pro'] as const);
  const duration = model === 'viduq3' ? 3 + Math.floor(jobRandom() * 6) : 1 + Math.floor(jobRandom() * 8);
  const dm = jobRandom() < 0.06;
  const queuedMs = Math.round((200 + jobRandom() * 800) * (P.scale / 0.05));
  const runMs = Math.round((500 + jobRandom() * 2_500) * (P.scale / 0.05));
  const failed = jobRandom() < 0.08;
  return {
    n,
    // Letters and digits only: the card escapes markdown punctuation, so the tag shows as sent.
    tag: `soakjob${n}z`,
    mode,
    model,
    duration,
    guildId: dm ? null : pick(guildIds),
    userId: pick(memberIds),
    plan: { queuedMs, runMs, outcome: failed ? 'failed' : 'completed', progressSteps: [10, 30, 60, 90] },
  };
}

const jobs = Array.from({ length: P.jobs }, (_, n) => drawJob(n));
const jobByTag = new Map(jobs.map((j) => [j.tag, j]));
const tagOf = (text: string) => /soakjob\d+z/.exec(text)?.[0];

let toapis: FakeToapis;
let discord: FakeDiscord;

function interactionFor(job: Job): RawInteraction {
  const images: RawAttachment[] = [];
  const png = (name: string) =>
    discord.addAttachment({
      filename: name,
      bytes: pngBytes(job.n % 65_536),
      contentType: 'image/png',
      ...(job.guildId ? { channelId: channelIds[guildIds.indexOf(job.guildId)] } : {}),
    });
  let prompt = `${job.tag} a lighthouse at dusk, waves`;
  if (job.mode === 'image') images.push(png('start.png'));
  if (job.mode === 'first-last') images.push(png('first.png'), png('last.png'));
  if (job.mode === 'references') for (let i = 0; i < 3 + (job.n % 4); i++) images.push(png(`ref${i}.png`));
  if (job.mode === 'subjects') {
    prompt = `${job.tag} @cat chases @dog through a garden`;
    images.push(png('cat.png'), png('dog.png'), png('cat_2.png'));
  }
  const attachments: Record<string, RawAttachment> = {};
  images.forEach((a, i) => (attachments[`image${i + 1}`] = a));
  return slashCommand({
    name: 'vidu',
    guildId: job.guildId,
    ...(job.guildId ? { channelId: channelIds[guildIds.indexOf(job.guildId)] } : {}),
    user: { id: job.userId },
    options: [
      { name: 'prompt', type: 3, value: prompt },
      { name: 'model', type: 3, value: job.model },
      { name: 'duration', type: 4, value: job.duration },
    ],
    attachments,
  });
}

// ── the bot: one process (SQLite) or a sharding manager with two shards (Redis) ───────────

interface Proc {
  child: ReturnType<typeof spawn>;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnProc(entry: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, entry)], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', TMPDIR: botTmp, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  const feed = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  };
  child.stdout.on('data', feed);
  child.stderr.on('data', feed);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited };
}

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`soak: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const parsed = (lines: readonly string[]) =>
  lines.flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

/** Every process the soak started (for the final log scan), newest last. */
const procs: Proc[] = [];
let current: Proc | undefined;
let storeUrl = '';
let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
const kills: { atS: number; target: string; upAgainS?: number }[] = [];

function soakEnv(): Record<string, string> {
  return botEnv(
    { discordToken: BOT_TOKEN, toapisApiKey: API_KEY, toapisUrl: toapis.url, discordApiUrl: discord.apiUrl, storeUrl },
    {
      VIDU_TIME_SCALE: String(P.scale),
      // The soak is about faults, not about the account's budgets or member limits.
      VIDU_UPSTREAM_MAX_RPS: '1000',
      TOAPIS_RATE_GROUP: 'svip',
      VIDU_USER_MAX_IN_FLIGHT: '1000',
      VIDU_USER_SUBMITS_PER_MINUTE: '1000',
      TOAPIS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      HTTP_PORT: String(webhookPort),
      ...(P.store === 'redis' ? { VIDU_SHARDS: String(shardCount) } : {}),
    },
  );
}

async function startBot(): Promise<void> {
  const entry = P.store === 'redis' ? 'src/shard.ts' : 'src/main.ts';
  const proc = spawnProc(entry, soakEnv());
  procs.push(proc);
  current = proc;
  const readyMsg = P.store === 'redis' ? 'all shards ready' : 'ready';
  await until(
    () => {
      if (proc.child.exitCode !== null) throw new Error(`soak: bot exited at start:\n${proc.lines.slice(-20).join('\n')}`);
      return parsed(proc.lines).some((l) => l.msg === readyMsg);
    },
    'the bot to be ready',
    180_000,
  );
}

/** SIGKILL: the whole process (SQLite) or one shard of the two (Redis; its manager restarts it). */
async function killOnce(): Promise<void> {
  const proc = current!;
  const atS = (Date.now() - t0) / 1000;
  if (P.store === 'sqlite') {
    proc.child.kill('SIGKILL');
    await proc.exited;
    const entry = { atS, target: 'bot process' } as (typeof kills)[number];
    kills.push(entry);
    log(`SIGKILL bot (kill ${kills.length}/${P.kills})`);
    await startBot();
    entry.upAgainS = (Date.now() - t0) / 1000;
    return;
  }
  const shard = Math.floor(killRandom() * shardCount);
  const spawned = parsed(proc.lines).filter((l) => l.msg === 'shard spawned' && l.shard === shard);
  const pid = Number(spawned.at(-1)?.pid);
  const readyBefore = parsed(proc.lines).filter((l) => l.msg === 'ready' && l.shard === shard).length;
  process.kill(pid, 'SIGKILL');
  const entry = { atS, target: `shard ${shard} of ${shardCount}` } as (typeof kills)[number];
  kills.push(entry);
  log(`SIGKILL shard ${shard} (kill ${kills.length}/${P.kills})`);
  await until(() => parsed(proc.lines).filter((l) => l.msg === 'ready' && l.shard === shard).length > readyBefore, `shard ${shard} ready again`, 180_000, 100);
  entry.upAgainS = (Date.now() - t0) / 1000;
}

/**
 * Every server gets a daily budget (far above what the soak uses) through `/vidu-admin limits`,
 * as an admin would set it: only then does the bot keep a usage ledger, which the soak checks.
 */
async function setBudgets(): Promise<void> {
  for (const [g, guildId] of guildIds.entries()) {
    const raw = slashCommand({
      name: 'vidu-admin',
      guildId,
      channelId: channelIds[g],
      user: { id: ADMIN_ID },
      memberPermissions: (1n << 5n) | (1n << 10n) | (1n << 11n),
      options: [{ name: 'limits', type: 1, options: [{ name: 'server_daily', type: 4, value: 1_000_000 }] }],
    });
    await discord.injectInteraction(raw);
    await until(() => discord.callbacks(raw.id).some((c) => c.status >= 200 && c.status < 300), `budget of server ${g}`, 20_000);
  }
}

// ── store blips ──────────────────────────────────────────────────────────────────────────

async function storeBlip(ms: number): Promise<void> {
  if (redis) {
    bump(faults, 'store.redis-paused');
    redis.pause();
    await sleep(ms);
    redis.resume();
    return;
  }
  // SQLite: another connection holds the write lock, so the bot's writes see SQLITE_BUSY.
  const sqlite3 = createRequire(import.meta.url)('sqlite3') as typeof import('sqlite3');
  const db = new sqlite3.Database(storeUrl.slice('sqlite://'.length));
  const exec = (sql: string) => new Promise<void>((resolve) => db.exec(sql, () => resolve()));
  await exec('BEGIN EXCLUSIVE');
  bump(faults, 'store.sqlite-locked');
  await sleep(ms);
  await exec('COMMIT');
  await new Promise<void>((resolve) => db.close(() => resolve()));
}

// ── the run ──────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  toapis = await startFakeToapis({
    apiKey: API_KEY,
    planFor: (body) => jobByTag.get(tagOf(String(body.prompt)) ?? '')?.plan,
    chaos: upstreamChaos(upstreamRandom, P.faultRate, faults),
  });
  // Task events (§8) to the bot's receiver, with seeded lost, late and duplicated events; while
  // the bot is down they fail and are retried, and past the retries only the fallback look is left.
  const webhookHook = webhookChaos(seeded(P.seed ^ 0x2545f491), P.faultRate, faults);
  webhookPort = await freePort();
  toapis.webhookConfig = { url: `http://127.0.0.1:${webhookPort}/webhooks/toapis`, secrets: [WEBHOOK_SECRET], retryDelaysMs: [100, 300, 1_000] };
  toapis.webhooks.chaos = () => webhookHook.decide();
  const webhooksExercised = true;

  discord = await startFakeDiscord({
    botToken: BOT_TOKEN,
    shardCount,
    guilds: guildIds.map((id, g) => ({ id, channels: [{ id: channelIds[g] }], members: [...memberIds, ADMIN_ID].map((m) => ({ id: m })) })),
  });
  if (P.store === 'redis') {
    redis = await startPrivateRedis();
    storeUrl = redis.url;
  } else {
    storeUrl = `sqlite://${join(work, 'vidu.sqlite')}`;
  }
  log(`fakes up; starting the bot (${P.store === 'redis' ? `${shardCount} shards` : 'one process'})`);
  await startBot();
  await setBudgets();
  log('bot ready, server budgets set; sending jobs');

  const sendWindowMs = (P.jobs / P.rate) * 1000;
  // Kills spread over the send window (and a little after), seeded.
  const killAtMs = Array.from({ length: P.kills }, (_, k) => ((k + 0.3 + killRandom() * 0.6) / P.kills) * sendWindowMs * 1.1).sort((a, b) => a - b);
  const sendStart = Date.now();
  let sending = true;

  const injector = (async () => {
    for (const job of jobs) {
      const at = sendStart + (job.n * 1000) / P.rate;
      if (at > Date.now()) await sleep(at - Date.now());
      job.raw = interactionFor(job);
      // While the bot is down Discord has nowhere to send it: the member tries again a moment later.
      for (;;) {
        try {
          await discord.injectInteraction(job.raw);
          job.sentAtMs = Date.now();
          break;
        } catch {
          await sleep(100);
        }
      }
    }
    sending = false;
  })();

  const killer = (async () => {
    for (const at of killAtMs) {
      const wait = sendStart + at - Date.now();
      if (wait > 0) await sleep(wait);
      await killOnce();
    }
  })();

  // Discord faults and store blips on their own seeded clocks while jobs are in flight.
  const chaos = (async () => {
    while (sending || !allSettled()) {
      await sleep(250);
      if (Date.now() - sendStart > P.timeoutS * 1000) break;
      if (discordRandom() < 0.45 * Math.min(1, P.faultRate)) {
        const fault = drawDiscordFault(discordRandom);
        const snap = snapshot();
        const inFlight = jobs.filter((j) => j.raw && !settled.has(j.n) && !finalOf(j, snap));
        if (fault.kind === '5xx' || fault.kind === '429') {
          discord.inject({ ...fault.spec, times: 1 });
          bump(faults, `discord.${fault.kind === '5xx' ? fault.spec.status : 429}`);
        } else if (inFlight.length > 0) {
          const job = inFlight[Math.floor(discordRandom() * inFlight.length)]!;
          if (fault.kind === '50027') {
            discord.expireToken(job.raw!.token);
            bump(faults, 'discord.50027-token-expired');
          } else {
            const original = discord.originalMessage(job.raw!.token);
            if (original && !original.deleted) {
              discord.deleteMessage(original.channelId, original.id);
              bump(faults, 'discord.10008-reply-deleted');
            }
          }
        }
      }
      if (discordRandom() < 0.02 * P.faultRate * P.storeBlips) await storeBlip(Math.round(300 + discordRandom() * 1_200));
    }
  })();

  await injector;
  log(`all ${P.jobs} jobs sent; waiting for every job to settle`);
  await killer;
  let lastReport = 0;
  await until(
    () => {
      const done = allSettled();
      if (!done && Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        log(`${settled.size}/${P.jobs} jobs settled`);
      }
      return done || Date.now() - sendStart > P.timeoutS * 1000;
    },
    'every job to settle',
    P.timeoutS * 1000 + 60_000,
    250,
  );
  const settledAtS = (Date.now() - t0) / 1000;
  // Any duplicate gets a moment to show up before counting.
  await sleep(2_000);
  await chaos;

  // Graceful stop: exit 0, then nothing may be left in its temp dir.
  current!.child.kill('SIGTERM');
  const exit = await current!.exited;
  const report = await check({ settledAtS, exitCode: exit.code, webhooksExercised });
  await Promise.allSettled([discord.close(), toapis.close(), redis?.close()]);
  mkdirSync(dirname(P.out), { recursive: true });
  writeFileSync(P.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${P.out}`);
  if (report.pass) rmSync(work, { recursive: true, force: true });
  else {
    procs.forEach((p, i) => writeFileSync(join(work, `bot-${i}.log`), `${p.lines.join('\n')}\n`));
    log(`kept ${work} (store, bot-N.log) for inspection`);
  }
  return report.pass ? 0 : 1;
}

// ── what a member sees ───────────────────────────────────────────────────────────────────

/** One pass over what Discord holds: visible messages by job tag, and the tags toapis has tasks for. */
interface Snapshot {
  byTag: Map<string, FakeMessage[]>;
  upstreamTags: Set<string>;
}
function snapshot(): Snapshot {
  const byTag = new Map<string, FakeMessage[]>();
  for (const m of discord.messages.values()) {
    if (m.deleted) continue;
    const tag = tagOf(messageText(m));
    if (tag) byTag.set(tag, [...(byTag.get(tag) ?? []), m]);
  }
  const upstreamTags = new Set<string>();
  for (const t of toapis.tasks.values()) {
    const tag = tagOf(String(t.body.prompt));
    if (tag) upstreamTags.add(tag);
  }
  return { byTag, upstreamTags };
}

/** Messages of a job that a member can see: the reply, its follow-ups, anything posted with its tag. */
function visibleMessages(job: Job, snap: Snapshot): FakeMessage[] {
  const raw = job.raw!;
  const out = new Set<FakeMessage>(snap.byTag.get(job.tag) ?? []);
  const original = discord.originalMessage(raw.token);
  if (original && !original.deleted) out.add(original);
  for (const m of discord.followups(raw.token)) if (!m.deleted) out.add(m);
  return [...out];
}

type Final = 'delivered' | 'failed-card' | 'refused' | undefined;

/** The job's end state as its member sees it, or undefined while it is still going. */
function finalOf(job: Job, snap: Snapshot): Final {
  const raw = job.raw;
  if (!raw) return undefined;
  const seen = visibleMessages(job, snap);
  if (seen.some((m) => visibleAttachments(m).some((a) => a.filename === `vidu-${raw.id}.mp4`) || /✅ Done/.test(messageText(m)))) return 'delivered';
  if (seen.some((m) => messageText(m).includes(job.tag) && /❌/.test(messageText(m)))) return 'failed-card';
  // An immediate refusal (callback type 4) or an error written into the deferred reply.
  const cbs = discord.callbacks(raw.id);
  if (cbs.some((c) => c.type === 4 && c.status >= 200 && c.status < 300)) return 'refused';
  const original = discord.originalMessage(raw.token);
  if (original && !original.deleted && !original.loading && original.content !== '' && !messageText(original).includes(job.tag)) return 'refused';
  return undefined;
}

/** Jobs already seen in an end state (the run only needs to know when all are). */
const settled = new Set<number>();

/** Settled: every sent job has an end state, or Discord never got an answer for it. */
function allSettled(): boolean {
  if (jobs.some((j) => !j.raw)) return false;
  const snap = snapshot();
  let pending = 0;
  for (const j of jobs) {
    if (settled.has(j.n)) continue;
    if (finalOf(j, snap)) {
      settled.add(j.n);
      continue;
    }
    const it = discord.interaction(j.raw!.id);
    // Never acknowledged in Discord's 3 s (the bot was killed first): Discord shows the member
    // "The application did not respond"; nothing was accepted, so nothing can be lost.
    const unanswered = it !== undefined && !it.callbacks.some((c) => c.status >= 200 && c.status < 300) && Date.now() > it.callbackDeadlineMs + 1_000;
    if (!(unanswered && !snap.upstreamTags.has(j.tag))) pending += 1;
  }
  return pending === 0;
}

// ── the checks ───────────────────────────────────────────────────────────────────────────

async function check(run: { settledAtS: number; exitCode: number | null; webhooksExercised: boolean }) {
  const tasksByTag = new Map<string, number>();
  for (const t of toapis.tasks.values()) {
    const tag = tagOf(String(t.body.prompt));
    if (tag) tasksByTag.set(tag, (tasksByTag.get(tag) ?? 0) + 1);
  }
  const outcome: Record<string, number> = {};
  const lost: string[] = [];
  const doubleSubmitted: string[] = [];
  const doublePosted: string[] = [];
  const invisibleFailures: string[] = [];
  const expectedUsage = new Map<string, number>();
  const snap = snapshot();
  for (const job of jobs) {
    const raw = job.raw!;
    const final = finalOf(job, snap);
    const acked = discord.callbacks(raw.id).some((c) => c.status >= 200 && c.status < 300);
    const upstream = tasksByTag.get(job.tag) ?? 0;
    if (upstream > 1) doubleSubmitted.push(`${job.tag}: ${upstream} upstream tasks`);
    const results = [...discord.messages.values()].filter((m) => !m.deleted && visibleAttachments(m).some((a) => a.filename === `vidu-${raw.id}.mp4`));
    const failures = visibleMessages(job, snap).filter((m) => messageText(m).includes(job.tag) && /❌/.test(messageText(m)));
    if (results.length > 1 || failures.length > 1 || (results.length > 0 && failures.length > 0)) {
      doublePosted.push(`${job.tag}: ${results.length} results, ${failures.length} failure cards`);
    }
    const key = final ?? (acked ? 'LOST' : upstream > 0 ? 'LOST' : 'never-acknowledged');
    bump(outcome, key);
    if (key === 'LOST') lost.push(`${job.tag} (${job.mode}, ${raw.id}): acknowledged=${acked}, upstream tasks=${upstream}`);
    // A job upstream that the member was told nothing final about would be a hidden failure.
    if (upstream > 0 && final === 'refused') invisibleFailures.push(`${job.tag}: refused on screen but submitted upstream`);
    if (final === 'delivered' && job.guildId) {
      const k = job.guildId;
      expectedUsage.set(k, (expectedUsage.get(k) ?? 0) + weightOf(job));
    }
    if (job.plan.outcome === 'failed' && final === 'delivered') invisibleFailures.push(`${job.tag}: failed upstream but shown as delivered`);
  }

  // Usage ledgers, read from the store the bot left behind (every UTC day the run touched).
  const store = await openStore(storeUrl);
  const days = [...new Set([utcDay(t0), utcDay(Date.now())])];
  const ledger: Record<string, { expected: number; recorded: number }> = {};
  for (const g of guildIds) {
    let recorded = 0;
    for (const day of days) recorded += (await store.usage.get({ guildId: g, day }))?.total ?? 0;
    ledger[g] = { expected: expectedUsage.get(g) ?? 0, recorded };
  }
  await store.close();
  const ledgerMismatch = Object.entries(ledger).filter(([, v]) => v.expected !== v.recorded);

  // The bot's own temp dir (tsx keeps its compile cache next to it in TMPDIR).
  const botFiles = join(botTmp, 'vidu-bot');
  const leftover = existsSync(botFiles) ? listFiles(botFiles) : [];
  const lines = procs.flatMap((p) => parsed(p.lines));
  const upstreamRequests = toapis.requests.length;
  const discordCalls = discord.calls.length;
  const report = {
    kind: 'soak',
    when: new Date().toISOString(),
    params: P,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
    durationS: Number(((Date.now() - t0) / 1000).toFixed(1)),
    settledAtS: Number(run.settledAtS.toFixed(1)),
    jobs: {
      sent: jobs.filter((j) => j.raw).length,
      byMode: Object.fromEntries(['text', 'image', 'first-last', 'references', 'subjects'].map((m) => [m, jobs.filter((j) => j.mode === m).length])),
      dms: jobs.filter((j) => j.guildId === null).length,
      servers: GUILDS,
      members: new Set(jobs.map((j) => j.userId)).size,
      outcome,
    },
    faults: {
      total: Object.values(faults).reduce((a, b) => a + b, 0),
      ...faults,
      webhookEvents: run.webhooksExercised
        ? `${toapis.webhooks.attempts.filter((a) => a.status >= 200 && a.status < 300).length} taken of ${toapis.webhooks.attempts.length} deliveries`
        : 'not exercised',
    },
    kills,
    upstream: { requests: upstreamRequests, tasksCreated: toapis.stats.tasksCreated, submitRequests: toapis.stats.submitRequests },
    discord: { calls: discordCalls },
    checks: {
      lost: lost.length,
      doubleSubmitted: doubleSubmitted.length,
      doublePosted: doublePosted.length,
      invisibleFailures: invisibleFailures.length,
      ledgerMismatches: ledgerMismatch.length,
      tempFilesLeft: leftover.length,
      gracefulExitCode: run.exitCode,
      botErrorLines: lines.filter((l) => Number(l.level) >= 50).length,
    },
    details: {
      lost: lost.slice(0, 50),
      doubleSubmitted: doubleSubmitted.slice(0, 50),
      doublePosted: doublePosted.slice(0, 50),
      invisibleFailures: invisibleFailures.slice(0, 50),
      ledger,
      tempFilesLeft: leftover.slice(0, 50),
    },
    pass: false,
  };
  report.pass =
    lost.length === 0 &&
    doubleSubmitted.length === 0 &&
    doublePosted.length === 0 &&
    invisibleFailures.length === 0 &&
    ledgerMismatch.length === 0 &&
    leftover.length === 0 &&
    run.exitCode === 0 &&
    kills.length === P.kills;

  const c = report.checks;
  console.log('');
  console.log(`soak ${report.pass ? 'PASSED' : 'FAILED'} · seed ${P.seed} · ${report.durationS} s`);
  console.log(
    `  jobs            ${report.jobs.sent} sent (${Object.entries(report.jobs.byMode)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; ${report.jobs.dms} in DMs; ${report.jobs.members} members, ${GUILDS} servers)`,
  );
  console.log(
    `  outcome         ${Object.entries(outcome)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `  faults          ${report.faults.total} (${Object.entries(faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  console.log(`  webhook events  ${report.faults.webhookEvents}`);
  console.log(`  kills           ${kills.length} SIGKILL (${kills.map((k) => `${k.target} @${k.atS.toFixed(0)} s`).join(', ')})`);
  console.log(`  lost            ${c.lost}`);
  console.log(
    `  double-submit   ${c.doubleSubmitted}   (upstream tasks ${report.upstream.tasksCreated} for ${report.upstream.submitRequests} submit requests)`,
  );
  console.log(`  double-posted   ${c.doublePosted}`);
  console.log(`  hidden failures ${c.invisibleFailures}`);
  console.log(
    `  usage ledgers   ${c.ledgerMismatches === 0 ? 'equal to the weights of the delivered jobs' : `${c.ledgerMismatches} servers differ`} (recorded/expected ${Object.values(
      ledger,
    )
      .map((v) => `${v.recorded}/${v.expected}`)
      .join(', ')})`,
  );
  console.log(`  temp files left ${c.tempFilesLeft}`);
  console.log(`  graceful stop   exit ${c.gracefulExitCode}`);
  for (const [name, list] of Object.entries({ lost, doubleSubmitted, doublePosted, invisibleFailures })) {
    for (const line of list.slice(0, 10)) console.log(`  ! ${name}: ${line}`);
  }
  return report;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name).slice(dir.length + 1));
    }
  };
  walk(dir);
  return out;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  main().then(
    (code) => process.exit(code),
    async (err: unknown) => {
      console.error(`soak: ${err instanceof Error ? err.stack : String(err)}`);
      for (const p of procs) p.child.kill('SIGKILL');
      await Promise.allSettled([discord?.close(), toapis?.close(), redis?.close()]);
      console.error(`soak: kept ${work}; seed ${P.seed}`);
      process.exit(2);
    },
  );
}
