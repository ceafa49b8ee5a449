import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type RunningBot } from '../../src/main.js';
import { startFakeDiscord, type FakeDiscordOptions, type FakeMessage } from '../fakes/discord.js';
import { slashCommand, type RawAttachment, type RawCommandOption, type SlashCommandOptions } from '../fakes/interactions.js';
import { startFakeToapis, type FakeToapisOptions, type FakeTaskPlan } from '../fakes/toapis.js';

export const API_KEY = 'sk-test-key-0123456789';
// Not starting with "Bot": discord.js strips a leading "Bot" prefix from tokens.
export const BOT_TOKEN = 'MTEST0123456789.Gabcde.fakeBotTokenForTests';

export interface WorldOptions {
  plan?: Partial<FakeTaskPlan>;
  discord?: FakeDiscordOptions;
  env?: Record<string, string>;
  storeUrl?: string;
  /** More options of the fake toapis (buckets, webhooks). */
  toapis?: Partial<FakeToapisOptions>;
}

/**
 * One bot logged into a fake Discord, talking to a fake toapis, over a store file in a temp
 * dir. `restart()` starts a fresh bot (new Client, new process state) over the same store.
 */
export async function startWorld(options: WorldOptions = {}) {
  const toapis = await startFakeToapis({ apiKey: API_KEY, ...options.toapis, plan: { queuedMs: 150, runMs: 450, ...options.plan } });
  const discord = await startFakeDiscord({ botToken: BOT_TOKEN, ...options.discord });
  const dir = await mkdtemp(join(tmpdir(), 'vidu-e2e-'));
  const storeUrl = options.storeUrl ?? `sqlite://${join(dir, 'vidu.sqlite')}`;
  const logs: string[] = [];
  const env = {
    DISCORD_TOKEN: BOT_TOKEN,
    TOAPIS_API_KEY: API_KEY,
    TOAPIS_BASE_URL: toapis.url,
    DISCORD_API_URL: discord.apiUrl,
    STORE_URL: storeUrl,
    LOG_LEVEL: 'debug',
    // 1/50 of production timing: first poll after 100 ms, edits ≥ 160 ms apart.
    VIDU_TIME_SCALE: '0.02',
    TOAPIS_RATE_GROUP: 'svip',
    ...options.env,
  };
  const boot = () =>
    startBot(env, {
      logDestination: { write: (line: string) => void logs.push(line) },
      rest: { retries: 0, timeout: 5_000 },
    });
  let bot: RunningBot = await boot();

  const world = {
    toapis,
    discord,
    logs,
    dir,
    env,
    get bot() {
      return bot;
    },
    /** A /vidu interaction as Discord would send it. */
    vidu(
      opts: { prompt?: string; options?: Record<string, string | number | boolean>; images?: RawAttachment[] } & Omit<
        Partial<SlashCommandOptions>,
        'options'
      > = {},
    ) {
      const raw: RawCommandOption[] = [{ name: 'prompt', type: 3, value: opts.prompt ?? 'A cat playing piano, camera slowly zooms in' }];
      for (const [name, value] of Object.entries(opts.options ?? {})) {
        raw.push({ name, type: typeof value === 'number' ? 4 : typeof value === 'boolean' ? 5 : 3, value });
      }
      const attachments: Record<string, RawAttachment> = {};
      (opts.images ?? []).forEach((a, i) => (attachments[`image${i + 1}`] = a));
      const { prompt: _p, options: _o, images: _i, ...rest } = opts;
      return slashCommand({ ...rest, name: 'vidu', options: raw, attachments });
    },
    image(filename: string, bytes: Buffer, contentType?: string) {
      return discord.addAttachment({ filename, bytes, contentType });
    },
    /** Waits until the interaction's reply carries a final state (video, link or failure). */
    async finalMessage(token: string, timeoutMs = 15_000): Promise<FakeMessage> {
      return discord.waitFor(
        () => {
          const m = discord.originalMessage(token);
          return m && isFinal(m) ? m : undefined;
        },
        { timeoutMs, description: 'final message' },
      );
    },
    /** Waits until the bot has recorded the job as delivered (its record is `done`). */
    async delivered(jobId: string, timeoutMs = 20_000): Promise<void> {
      await discord.waitFor(() => logs.some((l) => l.includes(`"task":"${jobId}"`) && l.includes('"msg":"delivered"')) || undefined, {
        timeoutMs,
        description: `job ${jobId} delivered`,
      });
    },
    /** Simulates a crash: the client and timers vanish without any graceful step. */
    async crash() {
      await bot.stop(0);
    },
    async restart() {
      bot = await boot();
      return bot;
    },
    async close() {
      await bot.stop(2_000).catch(() => undefined);
      await Promise.allSettled([discord.close(), toapis.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** Every text in a Components V2 message, joined. */
export function messageText(message: Pick<FakeMessage, 'components' | 'content'>): string {
  const out: string[] = [message.content];
  const walk = (c: unknown) => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    if (typeof o.content === 'string') out.push(o.content);
    if (typeof o.label === 'string') out.push(o.label);
    for (const key of ['components', 'items']) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach(walk);
    if (o.component) walk(o.component);
  };
  message.components.forEach(walk);
  return out.join('\n');
}

export function isFinal(message: Pick<FakeMessage, 'components' | 'content' | 'attachments'>): boolean {
  const text = messageText(message);
  return /✅ Done|❌/.test(text);
}
