import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import type { FakeTaskPlan } from '../fakes/toapis.js';
import { messageText, startWorld, type World } from './world.js';

/**
 * Issue 9, "What the bot fetches": URLs the upstream returns are fetched only when they are https
 * to a public address (or the configured loopback fake), every redirect is re-checked, and the
 * body must be an MP4 — each refusal ends the job with a clear failure and posts nothing.
 */
let world: World;
/** A second local service the bot must never reach (it is loopback, but not the configured fake). */
let bystander: http.Server;
let bystanderUrl: string;
let bystanderHits = 0;

beforeAll(async () => {
  bystander = http.createServer((_req, res) => {
    bystanderHits += 1;
    res.writeHead(200, { 'content-type': 'video/mp4' }).end(Buffer.from('\x00\x00\x00\x10ftypisom0000', 'latin1'));
  });
  await new Promise<void>((r) => bystander.listen(0, '127.0.0.1', r));
  bystanderUrl = `http://127.0.0.1:${(bystander.address() as AddressInfo).port}`;
  world = await startWorld();
});

afterAll(async () => {
  await world.close();
  await new Promise((r) => bystander.close(r));
});

let member = 0;
async function runJob(plan: Partial<FakeTaskPlan>, prompt: string) {
  world.toapis.nextTasks.push(plan);
  // A new member per job: one member's per-minute safeguard would otherwise refuse the later ones.
  const raw = world.vidu({ prompt, user: { id: `13000000000000009${String(member++).padStart(2, '0')}` } });
  await world.discord.injectInteraction(raw);
  const message = await world.finalMessage(raw.token);
  return { message, text: messageText(message) };
}

describe('URLs returned by the upstream', () => {
  it.each([
    ['a loopback URL that is not the configured toapis origin', () => `${bystanderUrl}/v.mp4`, 'its link is not https'],
    ['https to 127.0.0.1', () => 'https://127.0.0.1/v.mp4', 'its link points into a private network'],
    ['https to 10.0.0.1', () => 'https://10.0.0.1/v.mp4', 'its link points into a private network'],
    ['the cloud metadata address 169.254.169.254', () => 'https://169.254.169.254/latest/meta-data/', 'its link points into a private network'],
    ['plain http to a public host', () => 'http://videos.example.com/v.mp4', 'its link is not https'],
  ])('%s: the job fails clearly and nothing is posted', async (_name, url, reason) => {
    const before = bystanderHits;
    const { message, text } = await runJob({ videoUrl: url() }, `refused ${url()}`);
    expect(text).toContain('The finished video could not be fetched');
    expect(text).toContain(`The bot did not fetch the file Vidu returned: ${reason}.`);
    expect(visibleAttachments(message)).toHaveLength(0);
    expect(bystanderHits).toBe(before);
  });

  it('a redirect from the upstream into a private range is refused, not followed', async () => {
    const { message, text } = await runJob({ videoRedirect: 'https://10.0.0.1/v.mp4' }, 'redirected inside');
    expect(text).toContain('The bot did not fetch the file Vidu returned: its link points into a private network.');
    expect(visibleAttachments(message)).toHaveLength(0);
    // The first hop (the configured fake) was fetched once; there was no retry of a refused URL.
    const task = [...world.toapis.tasks.values()].find((t) => t.body.prompt === 'redirected inside')!;
    expect(world.toapis.requests.filter((r) => r.path === `/files/videos/${task.id}.mp4`)).toHaveLength(1);
  });

  it('a redirect to another local service is refused', async () => {
    const before = bystanderHits;
    const { text } = await runJob({ videoRedirect: `${bystanderUrl}/v.mp4` }, 'redirected to a neighbour');
    expect(text).toContain('its link is not https');
    expect(bystanderHits).toBe(before);
  });

  it('a body that is not an MP4 is never posted', async () => {
    const { message, text } = await runJob({ video: Buffer.from('<!doctype html><title>login</title>') }, 'html body');
    expect(text).toContain('The bot did not fetch the file Vidu returned: it is not an MP4 video.');
    expect(visibleAttachments(message)).toHaveLength(0);
  });

  it('the configured loopback fake itself is still fetched (control)', async () => {
    const { message } = await runJob({}, 'plain success');
    expect(visibleAttachments(message)).toHaveLength(1);
  });
});

describe('what the bot shows', () => {
  it('a hostile prompt shows as written on the card: no masked link, heading, mention or embed', async () => {
    const prompt = '# FREE NITRO [claim](https://evil.example/x) @everyone <@&123456789012345678> https://evil.example/y';
    const { message, text } = await runJob({}, prompt);
    expect(text).toContain('\\# FREE NITRO \\[claim\\]\\(<https://evil.example/x)> @\u200beveryone \\<@&123456789012345678\\> <https://evil.example/y>');
    expect(visibleAttachments(message)).toHaveLength(1);
  });

  it('a refusal is sent with allowed_mentions parse [] on the wire (discord.js reads allowedMentions)', async () => {
    const raw = world.vidu({ prompt: '\u200b\u200b', user: { id: '1300000000000000999' } });
    await world.discord.injectInteraction(raw);
    const cb = await world.discord.waitFor(() => world.discord.callbacks(raw.id).find((c) => c.status !== 0));
    expect((cb.data as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [] });
    expect(world.toapis.requests.filter((r) => r.path === '/v1/videos/generations' && (r.json as { prompt?: string })?.prompt === '\u200b\u200b')).toHaveLength(
      0,
    );
  });
});
