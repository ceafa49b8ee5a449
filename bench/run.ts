/**
 * `npm run bench`: the real bot (compiled, in its own process) against the fake Discord and the
 * fake toapis (in this process). Prints a table and writes bench/results/latest.json.
 *
 *   A  acknowledgement latency at 50 commands/s (interaction sent → callback received, as the
 *      fake Discord sees it)
 *   B  status reads per finished job and completion → Discord edit delay: the bot's adaptive
 *      polling against a plain fixed 10 s poller, on the same jobs (30 s – 5 min, compressed)
 *   C  5,000 tasks in flight in one process: memory, event-loop delay, upstream request rate
 *   D  restart with 5,000 pending tasks in the store: time until all are scheduled again
 *   E  delivering a 50 MB video: peak memory above idle
 *   F  re-encoding an 8 s 1080p clip to fit 10 MiB and 1 MiB (bench/encode.ts)
 *
 * `--quick` runs a smaller version of each phase (a smoke test of the benchmark itself).
 * Timings are only measured here, never asserted in tests.
 */
import { phaseStartup } from './startup.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { buildGenerationRequest } from '../src/generation/request.js';
import { newTaskRecord } from '../src/tasks/accept.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { openStore } from '../src/store/index.js';
import { startFakeDiscord, visibleAttachments, type FakeDiscord } from '../test/fakes/discord.js';
import { DEFAULT_IDS, slashCommand, type RawInteraction, type SlashCommandOptions } from '../test/fakes/interactions.js';
import { FAKE_DEFAULT_PLAN, fakeMp4, startFakeToapis, type FakeTaskPlan, type FakeToapis } from '../test/fakes/toapis.js';
import { botEnv } from '../test/support/child.js';
import { encodeRows, phaseEncode } from './encode.js';
import { runFixedPoller } from './fixed-poller.js';
import { phaseBurst, phaseWebhooks } from './webhooks.js';
import {
  ROOT,
  freePort,
  maxInWindow,
  mean,
  percentile,
  procMemory,
  resetPeakRss,
  scrape,
  seeded,
  sleep,
  startBotProcess,
  startRecordingProxy,
  until,
  type BotProcess,
} from './lib.js';

const QUICK = process.argv.includes('--quick');
/** `--only=A,B` runs only those phases (C and D run together). */
const ONLY = new Set((process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? 'S,A,B,C,D,E,F,W').toUpperCase().split(','));
const API_KEY = 'sk-bench-key-0123456789';
const BOT_TOKEN = 'MBENCH0123456789.Gabcde.fakeBotTokenForBench';
const MIB = 1024 * 1024;

const work = mkdtempSync(join(os.tmpdir(), 'vidu-bench-'));
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function baseEnv(toapisUrl: string, discord: FakeDiscord, storeUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return botEnv({ discordToken: BOT_TOKEN, toapisApiKey: API_KEY, toapisUrl, discordApiUrl: discord.apiUrl, storeUrl }, extra);
}

async function boot(name: string, env: Record<string, string>): Promise<{ bot: BotProcess; ready: Record<string, unknown> }> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const bot = startBotProcess(env, dir, join(dir, 'bot.log'));
  const ready = await bot.waitForLog((l) => l.msg === 'ready', `${name}: ready`, 180_000);
  return { bot, ready };
}

/** A member of its own per job (member limits must not shape the load). */
const userId = (i: number) => String(BigInt(DEFAULT_IDS.userId) + 1_000n + BigInt(i));

function vidu(i: number, prompt: string, extra: Partial<SlashCommandOptions> = {}): RawInteraction {
  return slashCommand({ name: 'vidu', user: { id: userId(i) }, options: [{ name: 'prompt', type: 3, value: prompt }], ...extra });
}

/** Sends `count` interactions at `perSecond`, on an absolute schedule (no drift). */
async function inject(discord: FakeDiscord, raws: RawInteraction[], perSecond: number): Promise<number> {
  const start = Date.now();
  for (const [i, raw] of raws.entries()) {
    const at = start + (i * 1000) / perSecond;
    if (at > Date.now()) await sleep(at - Date.now());
    await discord.injectInteraction(raw);
  }
  return (raws.length / (Date.now() - start)) * 1000;
}

// ── A: acknowledgement latency ─────────────────────────────────────────────────────────────

/** A Redis URL for the bench (`REDIS_URL` with DB 11), emptied first; undefined without REDIS_URL. */
async function benchRedis(): Promise<string | undefined> {
  if (!process.env.REDIS_URL) return undefined;
  const url = new URL(process.env.REDIS_URL);
  url.pathname = '/11';
  const admin = createClient({ url: url.toString() });
  await admin.connect();
  await admin.flushDb();
  await admin.close();
  return url.toString();
}

/**
 * 50 commands/s on a bot with production timing (a job's first look after 5 s, edits ≥ 8 s
 * apart) and a 100/s upstream cap, so the background work is what a busy server causes.
 */
async function phaseAck(store: 'sqlite' | 'redis') {
  const perSecond = 50;
  const seconds = QUICK ? 5 : 30;
  const redis = store === 'redis' ? await benchRedis() : undefined;
  if (store === 'redis' && !redis) return undefined;
  log(`A (${store}): ${perSecond} commands/s for ${seconds} s`);
  const toapis = await startFakeToapis({ apiKey: API_KEY, plan: { queuedMs: 2_000, runMs: 8_000 } });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  const port = await freePort();
  const storeUrl = redis ?? `sqlite://${join(work, `ack-${store}`, 'vidu.sqlite')}`;
  const { bot } = await boot(`ack-${store}`, baseEnv(toapis.url, discord, storeUrl, { TOAPIS_RATE_GROUP: 'vip', HTTP_PORT: String(port) }));
  try {
    await scrape(port);
    const raws = Array.from({ length: perSecond * seconds }, (_, i) => vidu(i, `ack ${i}`));
    const achieved = await inject(discord, raws, perSecond);
    const metrics = await scrape(port);
    await until(() => raws.every((r) => discord.callbacks(r.id).length > 0) || undefined, 'every acknowledgement', 10_000).catch(() => undefined);
    const latencies: number[] = [];
    let missing = 0;
    for (const r of raws) {
      const it = discord.interaction(r.id)!;
      const cb = it.callbacks[0];
      if (cb && cb.status < 300) latencies.push(cb.atMs - it.injectedAtMs);
      else missing++;
    }
    return {
      store,
      commands: raws.length,
      commandsPerSecond: round(achieved),
      ackP50Ms: percentile(latencies, 50),
      ackP95Ms: percentile(latencies, 95),
      ackP99Ms: percentile(latencies, 99),
      ackMaxMs: Math.max(...latencies),
      unacknowledged: missing,
      // Whether the rest of the work kept up: jobs still pending at the end, event loop.
      pendingAtEnd: metrics.get('vidu_scheduler_tasks') ?? Number.NaN,
      eventLoopP99Ms: round((metrics.get('nodejs_eventloop_delay_seconds{quantile="0.99"}') ?? Number.NaN) * 1000),
    };
  } finally {
    await bot.stop();
    await Promise.allSettled([discord.close(), toapis.close()]);
  }
}

// ── B: adaptive polling against a fixed 10 s poller ────────────────────────────────────────

/** A job's upstream plan: 30 s – 5 min (log-uniform), 2–20 s queued, an unknown progress curve. */
function drawPlan(random: () => number, scale: number): Partial<FakeTaskPlan> {
  const totalMs = Math.exp(Math.log(30_000) + random() * Math.log(10));
  const queuedMs = Math.min(totalMs / 2, 2_000 + random() * 18_000);
  const exponent = 0.7 + random() * 0.7;
  const progressSteps = Array.from({ length: 99 }, (_, k) => Math.max(1, Math.min(99, Math.floor(100 * ((k + 0.5) / 99) ** exponent))));
  return { queuedMs: queuedMs * scale, runMs: (totalMs - queuedMs) * scale, progressSteps };
}

const completionAt = (task: { createdAtMs: number; plan: FakeTaskPlan }) => task.createdAtMs + task.plan.queuedMs + task.plan.runMs;

function statusReadsByPath(toapis: FakeToapis): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of toapis.requests) {
    if (r.method === 'GET' && r.path.startsWith('/v1/videos/generations/')) counts.set(r.path, (counts.get(r.path) ?? 0) + 1);
  }
  return counts;
}

async function phasePolling() {
  const scale = 0.1;
  const measured = QUICK ? 40 : 200;
  const warm = QUICK ? 15 : 40;
  const perSecond = 5;
  log(`B: ${warm} warm-up + ${measured} jobs of 30 s – 5 min at time scale ${scale}; adaptive and fixed 10 s side by side`);
  const random = seeded(20_260_806);
  const plans = new Map<string, Partial<FakeTaskPlan>>();
  for (let i = 0; i < warm; i++) plans.set(`warm ${i}`, drawPlan(random, scale));
  for (let i = 0; i < measured; i++) plans.set(`job ${i}`, drawPlan(random, scale));
  const planFor = (body: Record<string, unknown>) => plans.get(String(body.prompt));
  const delivered = (discord: FakeDiscord, raw: RawInteraction) =>
    visibleAttachments(discord.originalMessage(raw.token) ?? ({ attachments: [] } as never)).length > 0;

  const toapis = await startFakeToapis({ apiKey: API_KEY, planFor });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  const toapis2 = await startFakeToapis({ apiKey: API_KEY, planFor });
  const discord2 = await startFakeDiscord({ botToken: BOT_TOKEN });
  const { bot } = await boot(
    'polling',
    baseEnv(toapis.url, discord, `sqlite://${join(work, 'polling', 'vidu.sqlite')}`, { VIDU_TIME_SCALE: String(scale), TOAPIS_RATE_GROUP: 'svip' }),
  );
  try {
    // Warm-up: what past jobs took is part of the policy, and a running bot has seen jobs before.
    const warmRaws = Array.from({ length: warm }, (_, i) => vidu(100_000 + i, `warm ${i}`));
    await inject(discord, warmRaws, 10);
    await until(() => warmRaws.every((r) => delivered(discord, r)) || undefined, 'warm-up jobs', 120_000, 200);

    // The same jobs on the same schedule: the bot, and the fixed poller against its own fakes.
    const raws = Array.from({ length: measured }, (_, i) => vidu(i, `job ${i}`));
    const fixedRun = runFixedPoller({
      toapisUrl: toapis2.url,
      apiKey: API_KEY,
      discordApiUrl: discord2.apiUrl,
      botToken: BOT_TOKEN,
      channelId: discord2.defaultChannelId,
      intervalMs: 10_000 * scale,
      jobs: Array.from({ length: measured }, (_, i) => ({
        offsetMs: (i * 1000) / perSecond,
        body: { model: 'viduq3-turbo', prompt: `job ${i}`, client_business_id: `fixed-${i}` },
      })),
    });
    await inject(discord, raws, perSecond);
    const fixedResults = await fixedRun;
    await until(() => raws.every((r) => delivered(discord, r)) || undefined, 'measured jobs', 180_000, 200).catch(() => undefined);

    const byBusinessId = new Map([...toapis.tasks.values()].map((t) => [t.clientBusinessId, t]));
    const reads = statusReadsByPath(toapis);
    const adaptive = { reads: [] as number[], delaysS: [] as number[], missing: 0 };
    for (const raw of raws) {
      const task = byBusinessId.get(`vidu-${raw.id}`);
      const message = discord.originalMessage(raw.token);
      if (!task || !message || !delivered(discord, raw) || message.editedAtMs === null) {
        adaptive.missing++;
        continue;
      }
      adaptive.reads.push((reads.get(`/v1/videos/generations/${task.id}`) ?? 0) + (reads.get(`/v1/videos/generations/vidu-${raw.id}`) ?? 0));
      adaptive.delaysS.push((message.editedAtMs - completionAt(task)) / scale / 1000);
    }
    const messages = new Map(discord2.channelMessages(discord2.defaultChannelId).map((m) => [m.content, m]));
    const fixed = { reads: [] as number[], delaysS: [] as number[] };
    for (const r of fixedResults) {
      fixed.reads.push(r.polls);
      fixed.delaysS.push((messages.get(r.businessId)!.createdAtMs - completionAt(toapis2.tasks.get(r.taskId)!)) / scale / 1000);
    }
    const summary = (x: { reads: number[]; delaysS: number[] }) => ({
      statusReadsPerJob: round(mean(x.reads), 2),
      delayP50S: round(percentile(x.delaysS, 50), 2),
      delayP95S: round(percentile(x.delaysS, 95), 2),
    });
    return { jobs: measured, timeScale: scale, adaptive: { ...summary(adaptive), undelivered: adaptive.missing }, fixed10s: summary(fixed) };
  } finally {
    await bot.stop();
    await Promise.allSettled([discord.close(), toapis.close(), discord2.close(), toapis2.close()]);
  }
}

// ── C + D: 5,000 tasks in flight, and a restart with 5,000 pending ─────────────────────────

/** Writes `count` running tasks straight into the store, each known to the fake toapis. */
async function populate(storeUrl: string, toapis: FakeToapis, discord: FakeDiscord, count: number): Promise<number> {
  const started = Date.now();
  const store = await openStore(storeUrl);
  const video = fakeMp4('bench');
  const request = buildGenerationRequest({ prompt: 'a fox in the snow', images: [], seed: 1 }, { random: () => 0.5 });
  const now = Date.now();
  try {
    for (let i = 0; i < count; i += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, count - i) }, async (_, k) => {
          const n = i + k;
          const id = String(BigInt(DEFAULT_IDS.userId) * 10n + BigInt(n));
          const taskId = `video_bench_${n}`;
          toapis.tasks.set(taskId, {
            id: taskId,
            model: request.model,
            body: {},
            createdAtMs: now,
            plan: { ...FAKE_DEFAULT_PLAN, queuedMs: 0, runMs: 3_600_000, neverFinish: true },
            video,
          });
          const base = newTaskRecord(
            {
              id,
              applicationId: DEFAULT_IDS.applicationId,
              token: `bench-token-${n}`,
              userId: userId(n),
              guildId: discord.defaultGuildId,
              channelId: discord.defaultChannelId,
              locale: 'en-US',
              attachmentSizeLimit: 10 * MIB,
              messageId: null,
              ephemeral: false,
            },
            request,
            { now, tokenMarginMs: 90_000 },
          );
          // Past the interaction token: progress goes to the channel, as for any job older than 15 min.
          const record: TaskRecord = {
            ...base,
            state: 'running',
            reply: { ...base.reply, route: 'channel' },
            upstream: { taskId, status: 'in_progress', phase: 'running', progress: 10, submittedAt: now },
            deadlineAt: now + 3_600_000,
            nextAt: now + Math.floor((n / count) * 15_000),
          };
          await store.put(record);
        }),
      );
    }
  } finally {
    await store.close();
  }
  return Date.now() - started;
}

async function phaseInFlight() {
  const count = QUICK ? 500 : 5_000;
  // The default group's status-query bucket: 50/s after a burst of 500.
  const capRps = 50;
  const seconds = QUICK ? 10 : 40;
  log(`C: ${count} tasks in flight, cap ${capRps}/s, production timing, ${seconds} s`);
  const toapis = await startFakeToapis({ apiKey: API_KEY });
  const proxy = await startRecordingProxy(toapis.url);
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  mkdirSync(join(work, 'inflight'), { recursive: true });
  const storeUrl = `sqlite://${join(work, 'inflight', 'vidu.sqlite')}`;
  const populateMs = await populate(storeUrl, toapis, discord, count);
  const port = await freePort();
  const env = baseEnv(proxy.url, discord, storeUrl, { TOAPIS_RATE_GROUP: 'default', HTTP_PORT: String(port) });
  try {
    const first = await boot('inflight', env);
    const readyAt = Number(first.ready.time);
    await sleep(3_000);
    await scrape(port); // starts the event-loop window
    const windows: { p99S: number; maxS: number; rss: number }[] = [];
    let scheduled = 0;
    for (let t = 0; t < seconds; t += 5) {
      await sleep(5_000);
      const m = await scrape(port);
      scheduled = m.get('vidu_scheduler_tasks') ?? 0;
      windows.push({
        p99S: m.get('nodejs_eventloop_delay_seconds{quantile="0.99"}') ?? Number.NaN,
        maxS: m.get('nodejs_eventloop_delay_seconds{quantile="1"}') ?? Number.NaN,
        rss: procMemory(first.bot.pid).rss,
      });
    }
    const peakRss = procMemory(first.bot.pid).peak;
    // Only this process's requests: the next one starts with a window of its own.
    const endAt = Date.now();
    const arrivals = (await proxy.arrivals()).filter((t) => t >= readyAt && t <= endAt);
    const upstreamSeconds = await scrape(port);
    const reads = {
      count: upstreamSeconds.get('vidu_upstream_request_duration_seconds_count{op="read"}') ?? 0,
      sum: upstreamSeconds.get('vidu_upstream_request_duration_seconds_sum{op="read"}') ?? 0,
    };
    const spanS = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    await first.bot.stop();

    log(`D: restart over the same store (${count} pending)`);
    const second = await boot('inflight-restart', env);
    const restart = {
      pending: Number(second.ready.resumed),
      resumeMs: Number(second.ready.resumeMs),
      processStartToReadyMs: Number(second.ready.time) - second.bot.startedAt,
    };
    await second.bot.stop();
    return {
      inFlight: {
        tasks: count,
        scheduledAtEnd: scheduled,
        rssMaxMiB: round(Math.max(...windows.map((w) => w.rss)) / MIB),
        rssPeakMiB: round(peakRss / MIB),
        eventLoopP99Ms: round(Math.max(...windows.map((w) => w.p99S)) * 1000),
        eventLoopMaxMs: round(Math.max(...windows.map((w) => w.maxS)) * 1000),
        upstreamCapRps: capRps,
        upstreamMaxIn1s: maxInWindow(arrivals, 1_000),
        upstreamMeanRps: round(arrivals.length / spanS),
        upstreamRequests: arrivals.length,
        upstreamMeanLatencyMs: round((reads.sum / Math.max(1, reads.count)) * 1000),
      },
      restart: { ...restart, firstStartResumeMs: Number(first.ready.resumeMs), populateMs },
    };
  } finally {
    await proxy.close();
    await Promise.allSettled([discord.close(), toapis.close()]);
  }
}

/** D on Redis (when REDIS_URL is set): the same restart over `redis://…/11`. */
async function phaseRestartRedis() {
  const storeUrl = await benchRedis();
  if (!storeUrl) return undefined;
  const count = QUICK ? 500 : 5_000;
  log(`D (Redis): restart with ${count} pending (DB 11)`);
  const toapis = await startFakeToapis({ apiKey: API_KEY });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  try {
    await populate(storeUrl, toapis, discord, count);
    const { bot, ready } = await boot('restart-redis', baseEnv(toapis.url, discord, storeUrl, { TOAPIS_RATE_GROUP: 'default' }));
    await bot.stop();
    return { pending: Number(ready.resumed), resumeMs: Number(ready.resumeMs), processStartToReadyMs: Number(ready.time) - bot.startedAt };
  } finally {
    await benchRedis();
    await Promise.allSettled([discord.close(), toapis.close()]);
  }
}

// ── E: a 50 MB video ───────────────────────────────────────────────────────────────────────

async function phaseBigVideo() {
  const size = 50 * MIB;
  log('E: delivering a 50 MB video');
  const video = fakeMp4('big', size);
  const toapis = await startFakeToapis({ apiKey: API_KEY, plan: { queuedMs: 200, runMs: 800, video } });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  const { bot } = await boot('video', baseEnv(toapis.url, discord, `sqlite://${join(work, 'video', 'vidu.sqlite')}`, { VIDU_TIME_SCALE: '0.05' }));
  try {
    await sleep(3_000);
    const samples = [];
    for (let i = 0; i < 10; i++) {
      samples.push(procMemory(bot.pid).rss);
      await sleep(100);
    }
    const idle = Math.min(...samples);
    const peakReset = resetPeakRss(bot.pid);
    let sampledMax = 0;
    const raw = vidu(0, 'a big one', { attachmentSizeLimit: 100 * MIB });
    await discord.injectInteraction(raw);
    await until(
      () => {
        sampledMax = Math.max(sampledMax, procMemory(bot.pid).rss);
        const m = discord.originalMessage(raw.token);
        return m && visibleAttachments(m).length > 0 ? m : undefined;
      },
      'the 50 MB video',
      60_000,
      10,
    );
    const peak = peakReset ? Math.max(procMemory(bot.pid).peak, sampledMax) : sampledMax;
    const attached = visibleAttachments(discord.originalMessage(raw.token)!)[0]!;
    return {
      fileMiB: round(video.length / MIB, 2),
      attachedBytes: attached.size,
      idleRssMiB: round(idle / MIB),
      peakAboveIdleMiB: round((peak - idle) / MIB),
      ratioToFile: round((peak - idle) / video.length, 2),
      peakFrom: peakReset ? 'VmHWM (reset before delivery)' : 'RSS sampled every 10 ms',
    };
  } finally {
    await bot.stop();
    await Promise.allSettled([discord.close(), toapis.close()]);
  }
}

// ── main ───────────────────────────────────────────────────────────────────────────────────

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

type Results = Awaited<ReturnType<typeof runAll>>;

function table(r: Results): string {
  const rows: [string, string, string][] = [];
  if (r.startup) rows.push([`S process start → ready (${r.startup.runs} cold starts, SQLite)`, `${r.startup.processStartToReadyMs.join(' / ')} ms`, '< 2 s']);
  for (const a of [r.ack, r.ackRedis]) {
    if (!a) continue;
    rows.push([
      `A ack latency p50 / p95 / p99 (${a.store})`,
      `${a.ackP50Ms} / ${a.ackP95Ms} / ${a.ackP99Ms} ms at ${a.commandsPerSecond}/s (${a.commands} commands, ${a.unacknowledged} missed; ${a.pendingAtEnd} jobs pending at the end)`,
      'p99 < 100 ms at 50/s',
    ]);
  }
  if (r.polling) {
    rows.push([
      'B status reads per job: adaptive vs fixed 10 s',
      `${r.polling.adaptive.statusReadsPerJob} vs ${r.polling.fixed10s.statusReadsPerJob}`,
      'fewer than fixed',
    ]);
    rows.push([
      'B completion → Discord edit p50 (p95)',
      `${r.polling.adaptive.delayP50S} s (${r.polling.adaptive.delayP95S} s) vs ${r.polling.fixed10s.delayP50S} s (${r.polling.fixed10s.delayP95S} s)`,
      'median ≤ fixed',
    ]);
  }
  if (r.inFlight) {
    const c = r.inFlight.inFlight;
    rows.push([`C ${c.tasks} in flight: RSS max (peak)`, `${c.rssMaxMiB} MiB (${c.rssPeakMiB} MiB)`, '< 300 MB']);
    rows.push(['C event-loop delay p99 (worst 5 s window)', `${c.eventLoopP99Ms} ms (max ${c.eventLoopMaxMs} ms)`, '< 50 ms']);
    rows.push([
      'C upstream requests, most in any 1 s',
      `${c.upstreamMaxIn1s} (query bucket ${c.upstreamCapRps}/s, burst 500; mean ${c.upstreamMeanRps}/s)`,
      '≤ burst + rate',
    ]);
    const d = r.inFlight.restart;
    rows.push([`D restart, ${d.pending} pending (SQLite): all scheduled`, `${d.resumeMs} ms (process start → ready ${d.processStartToReadyMs} ms)`, '< 2 s']);
  }
  if (r.restartRedis) {
    const d = r.restartRedis;
    rows.push([`D restart, ${d.pending} pending (Redis): all scheduled`, `${d.resumeMs} ms (process start → ready ${d.processStartToReadyMs} ms)`, '< 2 s']);
  }
  if (r.video) rows.push(['E 50 MB video: peak memory above idle', `${r.video.peakAboveIdleMiB} MiB (${r.video.ratioToFile}× the file)`, 'well under 2×']);
  if (r.encode) rows.push(...encodeRows(r.encode));
  if (r.webhooks) {
    const { push, burst } = r.webhooks as {
      push: Record<string, { finishedToDiscordP50S: number; finishedToDiscordP95S: number; statusReadsPerJob: number }>;
      burst: Awaited<ReturnType<typeof phaseBurst>>;
    };
    for (const mode of ['off', 'on'] as const) {
      const m = push[mode]!;
      rows.push([
        `W webhooks ${mode}: finished → Discord p50 / p95; status reads per job`,
        `${m.finishedToDiscordP50S} s / ${m.finishedToDiscordP95S} s; ${m.statusReadsPerJob}`,
        mode === 'on' ? 'p50 < 1 s; ≤ 1.5' : '(baseline)',
      ]);
    }
    rows.push([
      `W burst of ${burst.commands} (default group): last delivery`,
      `${burst.lastDeliveryS} s (buckets allow ${burst.bucketsAllowS} s: ${burst.ratio}×)`,
      '≤ 1.3×',
    ]);
    rows.push(['W burst: 429s of upstream calls', `${burst.rateLimitedPct} % (${burst.rateLimited} of ${burst.upstreamCalls})`, '< 1 %']);
  }
  const w = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length), 6));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(['measure', 'result', 'target']), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** S: process start → ready (bench/startup.ts). */
async function startupPhase() {
  log('S: process start → ready');
  const toapis = await startFakeToapis({ apiKey: API_KEY });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  try {
    return await phaseStartup({ boot: (name, storeUrl) => boot(name, baseEnv(toapis.url, discord, storeUrl)), dir: work, runs: QUICK ? 1 : 3 });
  } finally {
    await Promise.allSettled([discord.close(), toapis.close()]);
  }
}

async function runAll() {
  const startup = ONLY.has('S') ? await startupPhase() : undefined;
  const ack = ONLY.has('A') ? await phaseAck('sqlite') : undefined;
  const ackRedis = ONLY.has('A') ? await phaseAck('redis') : undefined;
  const polling = ONLY.has('B') ? await phasePolling() : undefined;
  const inFlight = ONLY.has('C') || ONLY.has('D') ? await phaseInFlight() : undefined;
  const restartRedis = ONLY.has('D') ? await phaseRestartRedis() : undefined;
  const video = ONLY.has('E') ? await phaseBigVideo() : undefined;
  const encode = ONLY.has('F') ? await phaseEncode(work, QUICK, log) : undefined;
  const webhooks = ONLY.has('W') ? { push: await phaseWebhooks({ work, quick: QUICK, log }), burst: await phaseBurst({ work, quick: QUICK, log }) } : undefined;
  return { startup, ack, ackRedis, polling, inFlight, restartRedis, video, encode, webhooks };
}

async function main(): Promise<void> {
  const began = Date.now();
  log('building (npm run build)');
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  try {
    const results = await runAll();
    const out = {
      at: new Date().toISOString(),
      quick: QUICK,
      phases: [...ONLY].sort(),
      machine: machine(),
      durationS: round((Date.now() - began) / 1000),
      ...results,
    };
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const partial = QUICK || ONLY.size < 6;
    const file = join(ROOT, 'bench', 'results', partial ? 'partial.json' : 'latest.json');
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(
      `\n${table(results)}\n\nmachine: ${out.machine.cpus} × ${out.machine.cpuModel}, ${out.machine.memoryGiB} GiB, Node ${out.machine.node}; ${out.durationS} s\nwritten: ${file}`,
    );
  } finally {
    await benchRedis().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
