/**
 * Push completion end to end: the real bot with its HTTP server, the fake toapis sending signed
 * events to it (§8), the fake Discord. Time is compressed (VIDU_TIME_SCALE 0.05): the fallback
 * look comes ~5.5 s after submit, the fake's tasks finish after 0.6 s — room enough for the event
 * to arrive first on a loaded machine, so "no status read" does not depend on timing luck.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { rawUser, slashCommand, type RawCommandOption } from '../fakes/interactions.js';
import { scaledPushFallback } from '../../src/tasks/schedule-push.js';
import { messageText, startWorld, type World } from './world.js';

const SECRET = 'whsec-e2e-0123456789abcdef0123456789abcdef';
const TIME_SCALE = 0.05;

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A world whose toapis Token has webhooks pointing at the bot's receiver. */
async function pushWorld(env: Record<string, string> = {}) {
  const w = await startWorld({
    toapis: { webhook: { secrets: [SECRET], retryDelaysMs: [50, 100, 200] } },
    env: { TOAPIS_WEBHOOK_SECRET: SECRET, HTTP_PORT: '0', VIDU_TIME_SCALE: String(TIME_SCALE), ...env },
  });
  w.toapis.webhookConfig!.url = `http://127.0.0.1:${w.bot.httpPort}/webhooks/toapis`;
  return w;
}

const statusReads = (w: World) => w.toapis.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/videos/generations/')).length;
const logsOf = (w: World) => w.logs.join('');
/** Time of the job's first log line with this message. */
const loggedAt = (w: World, jobId: string, msg: string) =>
  (w.logs.map((l) => JSON.parse(l) as { time: number; task?: string; msg: string }).find((l) => l.task === jobId && l.msg === msg) ?? { time: Number.NaN })
    .time;

describe('webhooks on', () => {
  it('the event delivers the video at once, without a single status read', async () => {
    world = await pushWorld();
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(statusReads(world)).toBe(0);
    expect(world.toapis.webhooks.attempts.filter((a) => a.status === 200)).toHaveLength(1);
    expect(logsOf(world)).toContain('webhook event accepted');
    // Delivered because of the event, before the fallback look was even due.
    await world.delivered(raw.id);
    const fallback = scaledPushFallback(TIME_SCALE);
    expect(loggedAt(world, raw.id, 'delivered')).toBeLessThan(loggedAt(world, raw.id, 'submitted') + fallback.expectedMs + fallback.graceMs);
  });

  it('a lost event: the fallback look still finishes the job', async () => {
    world = await pushWorld();
    world.toapis.webhooks.lose = 1;
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(world.toapis.webhooks.attempts).toHaveLength(0);
    expect(statusReads(world)).toBeGreaterThanOrEqual(1);
  });

  it('a stale first delivery is refused (400); the retry with a fresh timestamp is taken', async () => {
    world = await pushWorld();
    world.toapis.webhooks.stale = { count: 1, ageS: 400 };
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    const attempts = world.toapis.webhooks.attempts;
    expect(attempts.map((a) => a.status).slice(0, 2)).toEqual([400, 200]);
    expect(new Set(attempts.map((a) => a.eventId)).size).toBe(1);
  });

  it('a duplicated event delivers once', async () => {
    world = await pushWorld();
    world.toapis.webhooks.duplicate = 1;
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.delivered(raw.id);
    await world.discord.waitFor(() => (world!.toapis.webhooks.attempts.length >= 2 ? true : undefined));
    expect(world.toapis.webhooks.attempts.map((a) => a.status)).toEqual([200, 200]);
    expect(world.logs.filter((l) => l.includes(`"task":"${raw.id}"`) && l.includes('"msg":"delivered"'))).toHaveLength(1);
    expect(world.logs.filter((l) => l.includes('"msg":"webhook event accepted"'))).toHaveLength(1);
  });

  it('a failed task’s event ends the job with the upstream reason', async () => {
    world = await pushWorld();
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'the sky fell' });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const text = messageText(await world.finalMessage(raw.token));
    expect(text).toContain('the sky fell');
    expect(statusReads(world)).toBe(0);
  });
});

describe('TOAPIS_WEBHOOK_URL on a Token without webhooks', () => {
  it('submits again once without callback_url, tells the admins once, and stops sending it', async () => {
    world = await startWorld({ env: { TOAPIS_WEBHOOK_URL: 'https://bot.example.org/webhooks/toapis' } });
    const alertChannel = world.discord.defaultChannelId;
    const options: RawCommandOption[] = [{ name: 'channel', type: 7, value: alertChannel }];
    const adminRaw = slashCommand({
      name: 'vidu-admin',
      options: [{ name: 'alerts', type: 1, options }],
      memberPermissions: (1n << 5n) | (1n << 10n) | (1n << 11n),
      user: rawUser({ id: '1300000000000000999' }),
    });
    adminRaw.data.resolved = { channels: { [alertChannel]: { id: alertChannel, type: 0, name: 'videos', permissions: '0' } } };
    await world.discord.injectInteraction(adminRaw);
    await world.discord.waitFor(() => (world!.discord.originalMessage(adminRaw.token)?.loading === false ? true : undefined));

    for (const prompt of ['first', 'second']) {
      const raw = world.vidu({ prompt });
      await world.discord.injectInteraction(raw);
      expect(visibleAttachments(await world.finalMessage(raw.token))).toHaveLength(1);
    }
    const submits = world.toapis.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos/generations');
    const callbacks = submits.map((r) => (r.json as { metadata?: { callback_url?: string } }).metadata?.callback_url ?? null);
    // The first with it (refused, nothing created), the same again without, then never again.
    expect(callbacks).toEqual(['https://bot.example.org/webhooks/toapis', null, null]);
    expect(world.toapis.stats.webhookNotConfigured).toBe(1);
    expect(world.toapis.stats.tasksCreated).toBe(2);
    const warned = await world.discord.waitFor(() => {
      const found = world!.discord.channelMessages(alertChannel).filter((m) => messageText(m).includes('webhooks are not configured'));
      return found.length > 0 ? found : undefined;
    });
    expect(warned).toHaveLength(1);
  });
});
