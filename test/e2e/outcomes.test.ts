import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { snowflake } from '../fakes/interactions.js';
import { API_KEY, BOT_TOKEN, messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function logsOf(w: World): string {
  return w.logs.join('');
}

describe('/vidu outcomes other than a plain success', () => {
  it('a failed upstream task ends in one clear failure message with the upstream reason', async () => {
    world = await startWorld();
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: 'upstream returned status 422' });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    const text = messageText(message);
    expect(text).toContain('Vidu could not generate this video');
    expect(text).toContain('upstream returned status 422');
    expect(visibleAttachments(message)).toHaveLength(0);
    expect(world.toapis.stats.tasksCreated).toBe(1);
  });

  it('a video over the interaction upload limit is linked, with the size and the limit named', async () => {
    world = await startWorld({ plan: { video: Buffer.concat([Buffer.from('....ftypisom'), Buffer.alloc(300_000, 7)]) } });
    const raw = world.vidu({ attachmentSizeLimit: 100_000 });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    const text = messageText(message);
    const task = [...world.toapis.tasks.values()][0]!;
    expect(visibleAttachments(message)).toHaveLength(0);
    expect(text).toContain('over the 98 KB upload limit');
    expect(text).toContain(`${world.toapis.url}/files/videos/${task.id}.mp4`);
    expect(text).toContain('Open video');
  });

  it('Discord refusing the upload as too large (40005) falls back to the link', async () => {
    world = await startWorld();
    // Discord refuses the upload even though it fits attachment_size_limit (e.g. a stale limit).
    world.discord.inject({
      method: 'PATCH',
      pathIncludes: '/messages/@original',
      withFiles: true,
      status: 413,
      body: { code: 40005, message: 'Request entity too large' },
    });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(0);
    expect(messageText(message)).toMatch(/linked instead/);
  });

  it('401 from toapis: the member is told the bot is misconfigured; the key never shows', async () => {
    world = await startWorld({ env: { TOAPIS_API_KEY: 'sk-wrong-key-SECRET123' } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    const text = messageText(message);
    expect(text).toContain('The bot is not set up correctly');
    expect(text).not.toContain('sk-wrong-key-SECRET123');
    expect(world.toapis.stats.tasksCreated).toBe(0);
    expect(logsOf(world)).not.toContain('sk-wrong-key-SECRET123');
  });

  it('402 from toapis: out of credits, submitted once and not retried', async () => {
    world = await startWorld();
    world.toapis.inject({ path: 'submit', fault: { status: 402 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(messageText(message)).toContain('out of credits');
    expect(world.toapis.stats.submitRequests).toBe(1);
    expect(world.toapis.stats.tasksCreated).toBe(0);
  });

  it('422 from toapis: content refused, with the reason', async () => {
    world = await startWorld();
    world.toapis.inject({ path: 'submit', fault: { status: 422, message: 'AuditSubmitIllegal' } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(messageText(message)).toContain('Vidu refused this content');
    expect(world.toapis.stats.tasksCreated).toBe(0);
  });

  it('429 and 503 on submit are retried with the same client_business_id; one task is created', async () => {
    world = await startWorld();
    world.toapis.inject({ path: 'submit', fault: { status: 429, retryAfter: '0' } });
    world.toapis.inject({ path: 'submit', fault: { status: 503 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(world.toapis.stats.submitRequests).toBe(3);
    expect(world.toapis.stats.tasksCreated).toBe(1);
    const ids = world.toapis.requests
      .filter((r) => r.method === 'POST' && r.path.startsWith('/v1/videos'))
      .map((r) => (r.json as { client_business_id: string }).client_business_id);
    expect(new Set(ids)).toEqual(new Set([`vidu-${raw.id}`]));
  });

  it('a task that never finishes ends in a clear timed-out message at the deadline', async () => {
    world = await startWorld({ plan: { neverFinish: true }, env: { VIDU_TASK_DEADLINE_S: '1' } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(messageText(message)).toContain('Timed out waiting for Vidu');
    expect(world.toapis.stats.statusRequests).toBeGreaterThan(1);
  });

  it('an unknown status value counts as still running', async () => {
    world = await startWorld({ plan: { statusOverride: 'processing' } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
  });
});

describe('progress', () => {
  it('edits only when the visible text changes, and shows queued then generating with %', async () => {
    world = await startWorld({ plan: { queuedMs: 400, runMs: 1500, progressSteps: [10, 50, 90] } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    const texts = message.history.map((h) => JSON.stringify(h.components));
    for (let i = 1; i < texts.length; i++) expect(texts[i]).not.toBe(texts[i - 1]);
    const all = message.history.map((h) => messageText({ content: h.content, components: h.components })).join('\n');
    expect(all).toContain('Queued at Vidu');
    expect(all).toMatch(/Generating · \d+%/);
  });
});

describe('the 15-minute interaction token', () => {
  it('moves to the channel endpoint before the token dies and edits the same message', async () => {
    // The interaction was created 15 min − 3 s ago: the token is about to expire.
    world = await startWorld({ plan: { queuedMs: 200, runMs: 3_000 }, discord: { tokenLifetimeMs: 3_000 } });
    const raw = world.vidu({ id: snowflake(Date.now() - 15 * 60_000 + 3_000) });
    await world.discord.injectInteraction(raw);
    const original = await world.discord.waitFor(() => world!.discord.originalMessage(raw.token));
    const upload = await world.discord.waitFor(
      () =>
        world!.discord
          .findCalls({ method: 'PATCH', pathIncludes: `/channels/${raw.channel_id}/messages/${original.id}`, status: 200 })
          .find((c) => c.files.length === 1),
      { timeoutMs: 15_000 },
    );
    expect(upload.files[0]!.filename).toBe(`vidu-${raw.id}.mp4`);
    const message = world.discord.messages.get(original.id)!;
    expect(messageText(message)).toContain('✅ Done');
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(world.discord.findCalls({ pathIncludes: '/webhooks/', status: 401 })).toHaveLength(0);
  });

  it('a user install (bot not in the server) says so in time and delivers by DM', async () => {
    world = await startWorld({
      plan: { queuedMs: 200, runMs: 3_000 },
      discord: { tokenLifetimeMs: 3_000, guilds: [{ botMember: false }] },
    });
    const userId = '1300000000000000100';
    const raw = world.vidu({ id: snowflake(Date.now() - 15 * 60_000 + 3_000), authorizingIntegrationOwners: { '1': userId } });
    await world.discord.injectInteraction(raw);
    const dm = await world.discord.waitFor(
      () => {
        const calls = world!.discord.findCalls({ method: 'POST', path: /^\/channels\/\d+\/messages$/, status: 200 });
        return calls.find((c) => c.files.length === 1);
      },
      { timeoutMs: 15_000 },
    );
    const original = world.discord.originalMessage(raw.token)!;
    expect(messageText(original)).toContain('I’ll send the result to you by DM');
    expect(dm.path).not.toContain(raw.channel_id);
  });

  it('a guild install that cannot see or post in the channel refuses before anything is paid', async () => {
    world = await startWorld();
    world.discord.setChannelAccess(world.discord.defaultChannelId, { attach: false });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    const cb = await world.discord.waitFor(() => world!.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
    expect(cb.type).toBe(4);
    expect((cb.data as { content: string }).content).toMatch(/missing Attach Files/);
    expect(world.toapis.requests).toHaveLength(0);
  });
});

describe('restart in the middle', () => {
  it('a new client over the same store file delivers exactly once with exactly one submit', async () => {
    world = await startWorld({ plan: { queuedMs: 300, runMs: 1_500 } });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.discord.waitFor(() => world!.toapis.stats.tasksCreated === 1 || undefined);
    await world.crash();
    await world.restart();
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(world.toapis.stats.tasksCreated).toBe(1);
    expect(world.toapis.stats.submitRequests).toBe(1);
    // Exactly one final write with the file.
    const uploads = world.discord.findCalls({ method: 'PATCH', status: 200 }).filter((c) => c.files.length > 0);
    expect(uploads).toHaveLength(1);
    expect(logsOf(world)).toContain('"resumed":1');
  });
});

describe('secrets', () => {
  it('never appear in any log line of a run with failures', async () => {
    world = await startWorld();
    world.toapis.inject({ path: 'submit', fault: { status: 500 } });
    world.toapis.nextTasks.push({ outcome: 'failed', failMessage: `bad key ${API_KEY}` });
    const raw = world.vidu();
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    const logs = logsOf(world);
    expect(logs.length).toBeGreaterThan(500);
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(BOT_TOKEN);
    expect(logs).not.toContain(raw.token);
    expect(messageText(world.discord.originalMessage(raw.token)!)).not.toContain(API_KEY);
  });
});
