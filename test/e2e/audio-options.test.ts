/** `/vidu audio_type` and `off_peak` (issue 10): sent as metadata, refused without audio. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildGenerationRequest, toSubmitBody } from '../../src/generation/request.js';
import { RequestError } from '../../src/generation/errors.js';
import { reproduceLine } from '../../commands/job-actions.js';
import { openStore } from '../../src/store/index.js';
import { OFF_PEAK_DEADLINE_MS } from '../../src/tasks/engine.js';
import { admin } from '../support/admin.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function refusal(w: World, options: Record<string, string | number | boolean>): Promise<string> {
  const raw = w.vidu({ options });
  await w.discord.injectInteraction(raw);
  const cb = await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
  return JSON.stringify(cb.data);
}

describe('/vidu audio_type and off_peak', () => {
  it.each([
    [{ audio: false, audio_type: 'speech_only' }, 'audio_type'],
    [{ audio: false, off_peak: true }, 'off_peak'],
  ])('%j is refused clearly; nothing reaches toapis', async (options, option) => {
    world = await startWorld();
    const text = await refusal(world, options);
    expect(text).toContain(`\`${option}\` needs audio on`);
    expect(world.toapis.stats.submitRequests).toBe(0);
    expect(world.toapis.stats.uploadRequests).toBe(0);
  });

  it('both are sent as metadata and shown on the card', async () => {
    world = await startWorld();
    const raw = world.vidu({ options: { audio_type: 'sound-effect_only', off_peak: true } });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    const [task] = [...world.toapis.tasks.values()];
    expect(task!.body.metadata).toEqual({ audio_type: 'sound-effect_only', off_peak: true });
    expect(task!.body.audio).toBe(true);
    expect(messageText(message)).toContain('sound: sound-effect_only (requested)');
  });
});

describe('/vidu-admin off_peak: allow, forbid or force off-peak for the server', () => {
  /** Sends a /vidu and returns the immediate refusal (type 4) text, or undefined once it is accepted (type 5). */
  async function send(w: World, options: Record<string, string | number | boolean> = {}) {
    const raw = w.vidu({ options });
    await w.discord.injectInteraction(raw);
    const cb = await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
    if (cb.type === 4) {
      expect((cb.data as { flags: number }).flags & 64).toBe(64);
      return { raw, refusal: (cb.data as { content: string }).content };
    }
    return { raw, refusal: undefined };
  }

  it('forbid refuses an explicit off_peak:true with what to change; jobs without it run normally', async () => {
    world = await startWorld();
    expect(await admin(world, ['off_peak'], [{ name: 'policy', type: 3, value: 'forbid' }])).toContain('Off-peak: forbidden.');
    expect(await admin(world, ['show'])).toContain('**Off-peak** forbidden');
    const asked = await send(world, { off_peak: true });
    expect(asked.refusal).toContain('This server does not allow off-peak videos. Leave `off_peak` out (or set it to false) and try again.');
    expect(world.toapis.stats.submitRequests).toBe(0);
    const plain = await send(world);
    expect(plain.refusal).toBeUndefined();
    await world.finalMessage(plain.raw.token);
    expect([...world.toapis.tasks.values()][0]!.body.metadata).toBeUndefined();
  });

  it('force makes every job off-peak, refuses off_peak:false and audio:false clearly, and allow undoes it', async () => {
    world = await startWorld();
    expect(await admin(world, ['off_peak'], [{ name: 'policy', type: 3, value: 'force' }])).toContain(
      'Off-peak: every video (made within 48 h, fewer credits).',
    );
    const plain = await send(world);
    expect(plain.refusal).toBeUndefined();
    const message = await world.finalMessage(plain.raw.token);
    expect([...world.toapis.tasks.values()][0]!.body.metadata).toEqual({ off_peak: true });
    expect(messageText(message)).toContain('off-peak');

    const notOffPeak = await send(world, { off_peak: false });
    expect(notOffPeak.refusal).toContain('This server makes every video off-peak');
    expect(notOffPeak.refusal).toContain('Leave `off_peak` out');
    const silent = await send(world, { audio: false });
    expect(silent.refusal).toContain('off-peak needs audio on. Leave `audio` on (remove `audio:false`)');
    expect(world.toapis.stats.submitRequests).toBe(1);

    await admin(world, ['off_peak'], [{ name: 'policy', type: 3, value: 'allow' }]);
    const normal = await send(world, { audio: false });
    expect(normal.refusal).toBeUndefined();
    await world.finalMessage(normal.raw.token);
    expect([...world.toapis.tasks.values()][1]!.body.metadata).toBeUndefined();
    expect(await admin(world, ['show'])).toContain('**Off-peak** members choose (`off_peak`)');
  });
});

describe('request and submit body', () => {
  const base = { prompt: 'rain on a tin roof', images: [], seed: 7 };
  it('an unknown audio_type is refused with its own code', () => {
    expect(() => buildGenerationRequest({ ...base, audioType: 'music' })).toThrow(RequestError);
    try {
      buildGenerationRequest({ ...base, audioType: 'music' });
    } catch (err) {
      expect((err as RequestError).code).toBe('invalid_audio_type');
    }
  });

  it('metadata only when asked; the reproduce line names both', () => {
    const plain = buildGenerationRequest(base);
    expect(toSubmitBody(plain, [], 'cb-1').metadata).toBeUndefined();
    const asked = buildGenerationRequest({ ...base, audioType: 'speech_only', offPeak: true });
    expect(toSubmitBody(asked, [], 'cb-2').metadata).toEqual({ audio_type: 'speech_only', off_peak: true });
    expect(reproduceLine(asked)).toContain('audio_type:speech_only off_peak:true');
    // off_peak:false is the default: nothing sent, nothing shown.
    const notOffPeak = buildGenerationRequest({ ...base, offPeak: false });
    expect(notOffPeak.offPeak).toBeUndefined();
  });
});

describe('off-peak jobs', () => {
  it('get a 48 h (+ margin) deadline and the card says when the video is due at the latest', async () => {
    world = await startWorld({ plan: { neverFinish: true } });
    const raw = world.vidu({ options: { off_peak: true } });
    await world.discord.injectInteraction(raw);
    const card = await world.discord.waitFor(() => {
      const m = world!.discord.originalMessage(raw.token);
      return m && messageText(m).includes('at the latest') ? m : undefined;
    });
    const at = Number(/ready by <t:(\d+):f> at the latest/.exec(messageText(card))?.[1]);
    await world.discord.waitFor(() => (world!.toapis.tasks.size > 0 ? true : undefined));
    const store = await openStore(world.env.STORE_URL);
    try {
      let record = await store.get(raw.id);
      const deadline = Date.now() + 15_000;
      while (!record?.upstream && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        record = await store.get(raw.id);
      }
      // The card names the upstream's promise: 48 h after the job (before the submit) or after the submit.
      expect(at * 1000).toBeGreaterThanOrEqual(record!.createdAt + 48 * 3_600_000 - 1_000);
      expect(at * 1000).toBeLessThanOrEqual(record!.upstream!.submittedAt + 48 * 3_600_000 + 1_000);
      // The bot itself waits past that, with its margin, before it gives up.
      expect(record!.deadlineAt! - record!.upstream!.submittedAt).toBe(OFF_PEAK_DEADLINE_MS);
      expect(OFF_PEAK_DEADLINE_MS).toBeGreaterThan(48 * 3_600_000);
    } finally {
      await store.close();
    }
  });
});
