import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments, type FakeMessage } from '../fakes/discord.js';
import { DEFAULT_MEMBER_PERMISSIONS, button, rawUser, slashCommand, type RawInteraction } from '../fakes/interactions.js';
import { messageText, startWorld, type World } from './world.js';
import { customIds } from '../support/components.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const OTHER_USER = '1300000000000000777';
const MANAGE_MESSAGES = 1n << 13n;

/** Starts /vidu and waits for its progress card to carry the Stop button. */
async function started(w: World): Promise<{ job: RawInteraction; card: FakeMessage }> {
  const job = w.vidu();
  await w.discord.injectInteraction(job);
  const card = await w.discord.waitFor(
    () => {
      const m = w.discord.originalMessage(job.token);
      return m && customIds(m).includes(`job:stop:${job.id}`) ? m : undefined;
    },
    { description: 'progress card with Stop' },
  );
  return { job, card };
}

async function clickStop(w: World, card: FakeMessage, jobId: string, opts: { userId?: string; permissions?: bigint } = {}) {
  const raw = button({
    customId: `job:stop:${jobId}`,
    message: w.discord.wireMessage(card.id),
    ...(opts.userId ? { user: rawUser({ id: opts.userId }) } : {}),
    ...(opts.permissions !== undefined ? { memberPermissions: opts.permissions } : {}),
  });
  await w.discord.injectInteraction(raw);
  await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300), { description: 'Stop answered' });
  return raw;
}

/** The card once the Stop click has edited it. */
function stoppedCard(w: World, card: FakeMessage): Promise<FakeMessage> {
  return w.discord.waitFor(
    () => {
      const m = w.discord.messages.get(card.id);
      return m && messageText(m).includes('Stopped') ? m : undefined;
    },
    { description: 'stopped card' },
  );
}

/** `/vidu-show id:<jobId>` and its final (public) reply. */
async function show(w: World, jobId: string): Promise<FakeMessage> {
  const raw = slashCommand({ name: 'vidu-show', options: [{ name: 'id', type: 3, value: jobId }] });
  await w.discord.injectInteraction(raw);
  return w.discord.waitFor(
    () => {
      const m = w.discord.originalMessage(raw.token);
      return m && (m.content || m.components.length > 0) ? m : undefined;
    },
    { description: '/vidu-show reply', timeoutMs: 15_000 },
  );
}

const upstreamDone = (w: World) => {
  const task = [...w.toapis.tasks.values()][0];
  return task && Date.now() >= task.createdAtMs + task.plan.queuedMs + task.plan.runMs + 50 ? task : undefined;
};
const deliveredLogged = (w: World, jobId: string) => w.logs.some((l) => l.includes(`"task":"${jobId}"`) && l.includes('"msg":"delivered"'));

describe('Stop on the progress card', () => {
  it('before the upstream finishes: card says stopped and may be billed, slot freed at once, nothing posted, /vidu-show posts it later', async () => {
    world = await startWorld({ plan: { queuedMs: 200, runMs: 1_500 }, env: { VIDU_USER_MAX_IN_FLIGHT: '1' } });
    const w = world;
    const { job, card } = await started(w);
    expect(messageText(card)).toContain('Stop');
    await clickStop(w, card, job.id);
    const stopped = await stoppedCard(w, card);
    expect(messageText(stopped)).toContain('Stopped');
    expect(messageText(stopped)).toContain('may still be made and billed');
    expect(customIds(stopped)).not.toContain(`job:stop:${job.id}`);

    // The slot is free at once: a second job with a limit of one in flight is accepted.
    const second = w.vidu({ prompt: 'a second video' });
    await w.discord.injectInteraction(second);
    await w.finalMessage(second.token);
    expect(w.toapis.tasks.size).toBe(2);

    // Once the upstream is done, /vidu-show looks the task up and posts it.
    await w.discord.waitFor(() => upstreamDone(w), { description: 'upstream finished', timeoutMs: 10_000 });
    const shown = await show(w, job.id);
    expect(visibleAttachments(shown)).toHaveLength(1);
    // The stopped job never posted by itself: its card is still the stopped card, no video, no delivery.
    expect(deliveredLogged(w, job.id)).toBe(false);
    expect(visibleAttachments(w.discord.messages.get(card.id)!)).toHaveLength(0);
    expect(messageText(w.discord.messages.get(card.id)!)).toContain('Stopped');
    // Every submit went once: the show looked the task up, it did not submit again.
    expect(w.toapis.tasks.size).toBe(2);
  });

  it('after the upstream finished but before the bot saw it: nothing posted; /vidu-show finds and posts it', async () => {
    // First look after 1 s (scale 0.2), the upstream is done after 150 ms.
    world = await startWorld({ plan: { queuedMs: 50, runMs: 100 }, env: { VIDU_TIME_SCALE: '0.2' } });
    const w = world;
    const { job, card } = await started(w);
    await w.discord.waitFor(() => upstreamDone(w), { description: 'upstream finished' });
    await clickStop(w, card, job.id);
    await stoppedCard(w, card);
    const statusReadsAtStop = w.toapis.requests.filter((r) => r.path.startsWith('/v1/videos/generations/')).length;
    const shown = await show(w, job.id);
    expect(messageText(shown)).toContain('✅');
    expect(visibleAttachments(shown)).toHaveLength(1);
    expect(deliveredLogged(w, job.id)).toBe(false);
    expect(messageText(w.discord.messages.get(card.id)!)).toContain('Stopped');
    // /vidu-show looked once more; the engine did not keep polling a stopped job.
    expect(w.toapis.requests.filter((r) => r.path.startsWith('/v1/videos/generations/')).length).toBe(statusReadsAtStop + 1);
    // A second /vidu-show uses what is now recorded.
    expect(visibleAttachments(await show(w, job.id))).toHaveLength(1);
  });

  it('someone else’s Stop is refused and the job finishes normally; a moderator’s Stop works', async () => {
    world = await startWorld({ plan: { queuedMs: 200, runMs: 600 } });
    const w = world;
    const { job, card } = await started(w);
    const refused = await clickStop(w, card, job.id, { userId: OTHER_USER });
    const cb = w.discord.callbacks(refused.id).find((c) => c.status < 300)!;
    expect(cb.type).toBe(4);
    expect((cb.data as { content: string; flags: number }).content).toContain('Only the member who started this video');
    expect((cb.data as { flags: number }).flags & 64).toBe(64);
    const final = await w.finalMessage(job.token);
    expect(visibleAttachments(final)).toHaveLength(1);

    const next = await started(w);
    await clickStop(w, next.card, next.job.id, { userId: OTHER_USER, permissions: DEFAULT_MEMBER_PERMISSIONS | MANAGE_MESSAGES });
    expect(messageText(await stoppedCard(w, next.card))).toContain(`Stopped** by <@${OTHER_USER}>`);
  });
});
