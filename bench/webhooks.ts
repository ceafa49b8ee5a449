/**
 * Issue 10's figures: (W1) webhooks on vs off on the same jobs — finished → Discord p50/p95 and
 * status reads per job, production timing; (W2) a burst of 120 commands under the default
 * group against a fake toapis that enforces the documented buckets — last delivery against what
 * the buckets allow, and the share of 429s.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeDiscord, visibleAttachments, type FakeDiscord } from '../test/fakes/discord.js';
import { DEFAULT_IDS, slashCommand, type RawInteraction } from '../test/fakes/interactions.js';
import { startFakeToapis, type FakeTaskPlan, type FakeToapis } from '../test/fakes/toapis.js';
import { botEnv } from '../test/support/child.js';
import { RATE_GROUPS } from '../src/upstream/ratelimit.js';
import { freePort, mean, percentile, seeded, sleep, startBotProcess, until } from './lib.js';

const API_KEY = 'sk-bench-key-0123456789';
const BOT_TOKEN = 'MBENCH0123456789.Gabcde.fakeBotTokenForBench';
const SECRET = 'whsec-bench-0123456789abcdef0123456789abcdef';
const round = (x: number, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export interface WebhookBenchOptions {
  work: string;
  quick: boolean;
  log(msg: string): void;
}

const userId = (i: number) => String(BigInt(DEFAULT_IDS.userId) + 5_000n + BigInt(i));
const vidu = (i: number, prompt: string): RawInteraction =>
  slashCommand({ name: 'vidu', user: { id: userId(i) }, options: [{ name: 'prompt', type: 3, value: prompt }] });
const completionAt = (task: { createdAtMs: number; plan: FakeTaskPlan }) => task.createdAtMs + task.plan.queuedMs + task.plan.runMs;
const delivered = (discord: FakeDiscord, raw: RawInteraction) =>
  visibleAttachments(discord.originalMessage(raw.token) ?? ({ attachments: [] } as never)).length > 0;

async function run(
  o: WebhookBenchOptions,
  name: string,
  setup: { webhooks: boolean; plans: Map<string, Partial<FakeTaskPlan>>; rateLimits?: boolean },
  raws: RawInteraction[],
  perSecond: number,
) {
  const port = await freePort();
  const toapis = await startFakeToapis({
    apiKey: API_KEY,
    planFor: (body) => setup.plans.get(String(body.prompt)),
    ...(setup.rateLimits ? { rateLimits: { submit: RATE_GROUPS.default.submit, query: RATE_GROUPS.default.query } } : {}),
    ...(setup.webhooks ? { webhook: { url: `http://127.0.0.1:${port}/webhooks/toapis`, secrets: [SECRET] } } : {}),
  });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN });
  const dir = join(o.work, name);
  mkdirSync(dir, { recursive: true });
  const env = botEnv(
    { discordToken: BOT_TOKEN, toapisApiKey: API_KEY, toapisUrl: toapis.url, discordApiUrl: discord.apiUrl, storeUrl: `sqlite://${join(dir, 'vidu.sqlite')}` },
    {
      TOAPIS_RATE_GROUP: 'default',
      HTTP_PORT: String(port),
      VIDU_USER_MAX_IN_FLIGHT: '10',
      ...(setup.webhooks ? { TOAPIS_WEBHOOK_SECRET: SECRET } : {}),
    },
  );
  const bot = startBotProcess(env, dir, join(dir, 'bot.log'));
  try {
    await bot.waitForLog((l) => l.msg === 'ready', `${name}: ready`, 180_000);
    const firstAt = Date.now();
    for (const [i, raw] of raws.entries()) {
      const at = firstAt + (i * 1000) / perSecond;
      if (at > Date.now()) await sleep(at - Date.now());
      await discord.injectInteraction(raw);
    }
    await until(() => raws.every((r) => delivered(discord, r)) || undefined, `${name}: every job delivered`, 300_000, 100);
    return { toapis, discord, firstAt };
  } finally {
    await bot.stop();
    await Promise.allSettled([discord.close()]);
  }
}

function readsPerJob(toapis: FakeToapis): number {
  const reads = toapis.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/videos/generations/')).length;
  return reads / Math.max(1, toapis.stats.tasksCreated);
}

/** W1: the same jobs (1 s queued, 4–12 s running) with webhooks off and on, production timing. */
export async function phaseWebhooks(o: WebhookBenchOptions) {
  const jobs = o.quick ? 12 : 40;
  const perSecond = 2;
  const random = seeded(10);
  const plans = new Map<string, Partial<FakeTaskPlan>>();
  for (let i = 0; i < jobs; i++) plans.set(`push ${i}`, { queuedMs: 1_000, runMs: 4_000 + Math.round(random() * 8_000) });
  const out: Record<string, unknown> = { jobs };
  for (const webhooks of [false, true]) {
    const label = webhooks ? 'on' : 'off';
    o.log(`W1: ${jobs} jobs, webhooks ${label}`);
    const raws = Array.from({ length: jobs }, (_, i) => vidu(i, `push ${i}`));
    const { toapis, discord } = await run(o, `webhooks-${label}`, { webhooks, plans }, raws, perSecond);
    const byBusinessId = new Map([...toapis.tasks.values()].map((t) => [t.clientBusinessId, t]));
    const delaysS: number[] = [];
    for (const raw of raws) {
      const task = byBusinessId.get(`vidu-${raw.id}`)!;
      const message = discord.originalMessage(raw.token)!;
      delaysS.push(((message.editedAtMs ?? message.createdAtMs) - completionAt(task)) / 1000);
    }
    out[label] = {
      finishedToDiscordP50S: round(percentile(delaysS, 50)),
      finishedToDiscordP95S: round(percentile(delaysS, 95)),
      finishedToDiscordMeanS: round(mean(delaysS)),
      statusReadsPerJob: round(readsPerJob(toapis)),
      eventsDelivered: toapis.webhooks.attempts.filter((a) => a.status === 200).length,
    };
    await toapis.close();
  }
  return out;
}

/** W2: 120 commands at once under the default group; tasks finish 3 s after submit. */
export async function phaseBurst(o: WebhookBenchOptions) {
  const count = 120;
  const finishMs = 3_000;
  const plans = new Map<string, Partial<FakeTaskPlan>>();
  for (let i = 0; i < count; i++) plans.set(`burst ${i}`, { queuedMs: 500, runMs: finishMs - 500 });
  o.log(`W2: burst of ${count} commands, default group (submit ${RATE_GROUPS.default.submit.ratePerSecond}/s, burst ${RATE_GROUPS.default.submit.burst})`);
  const raws = Array.from({ length: count }, (_, i) => vidu(i, `burst ${i}`));
  const { toapis, discord, firstAt } = await run(o, 'burst', { webhooks: true, plans, rateLimits: true }, raws, 1_000);
  const lastDeliveryMs = Math.max(...raws.map((r) => discord.originalMessage(r.token)!.editedAtMs ?? 0)) - firstAt;
  const { ratePerSecond, burst } = RATE_GROUPS.default.submit;
  // The last submit may go out when the bucket has refilled for everything past the burst.
  const allowedMs = (Math.max(0, count - burst) / ratePerSecond) * 1000 + finishMs;
  const calls = toapis.requests.filter((r) => r.path.startsWith('/v1/')).length;
  const limited = toapis.stats.rateLimited.submit + toapis.stats.rateLimited.query;
  await toapis.close();
  return {
    commands: count,
    lastDeliveryS: round(lastDeliveryMs / 1000),
    bucketsAllowS: round(allowedMs / 1000),
    ratio: round(lastDeliveryMs / allowedMs),
    upstreamCalls: calls,
    rateLimited: limited,
    rateLimitedPct: round((limited / Math.max(1, calls)) * 100),
  };
}
