import { RESTJSONErrorCodes } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from './discord.js';
import { specProblems } from './discord/spec.js';

const BOT_TOKEN = 'TEST-spec-token';

describe('fake Discord checks bodies against the official OpenAPI schemas', () => {
  let fake: FakeDiscord;
  const post = (path: string, body: unknown) =>
    fetch(`${fake.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bot ${BOT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    fake = await startFakeDiscord({ botToken: BOT_TOKEN, specValidation: true });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('a spec-invalid message body is refused with 400/50035 naming the field, and nothing is posted', async () => {
    const before = fake.messages.size;
    const res = await post(`/channels/${fake.defaultChannelId}/messages`, { content: 42, embeds: 'not a list' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: number; message: string; errors: Record<string, { _errors?: unknown[] }> };
    expect(body.code).toBe(RESTJSONErrorCodes.InvalidFormBodyOrContentType);
    expect(body.message).toBe('Invalid Form Body');
    expect(body.errors.content?._errors).toHaveLength(1);
    expect(body.errors.embeds?._errors).toHaveLength(1);
    expect(fake.messages.size).toBe(before);
  });

  it('the same route takes a valid body (control for the test above)', async () => {
    const before = fake.messages.size;
    const res = await post(`/channels/${fake.defaultChannelId}/messages`, { content: 'hello', allowed_mentions: { parse: [] } });
    expect(res.status).toBe(200);
    expect(fake.messages.size).toBe(before + 1);
  });

  it('int64 bitfields pass as the decimal strings Discord documents, and nothing else does', () => {
    const route = 'PUT /applications/:app/commands';
    const command = (perms: unknown) => [{ name: 'vidu-admin', description: 'Server settings', default_member_permissions: perms }];
    expect(specProblems(route, command('32'))).toEqual([]);
    expect(specProblems(route, command(null))).toEqual([]);
    expect(specProblems(route, command('thirty-two')).map((p) => p.path)).toEqual([[0, 'default_member_permissions']]);
    expect(specProblems(route, command({ bits: 32 })).map((p) => p.path)).toEqual([[0, 'default_member_permissions']]);
  });

  it('is on by default: a fake started without the option refuses a spec-invalid body', async () => {
    const strict = await startFakeDiscord({ botToken: BOT_TOKEN });
    try {
      const res = await fetch(`${strict.apiUrl}/channels/${strict.defaultChannelId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${BOT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 42 }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: number }).code).toBe(RESTJSONErrorCodes.InvalidFormBodyOrContentType);
    } finally {
      await strict.close();
    }
  });

  it('maps each callback type to its schema; an unknown type is refused', () => {
    const route = 'POST /interactions/:id/:token/callback';
    expect(specProblems(route, { type: 5, data: { flags: 64 } })).toEqual([]);
    expect(specProblems(route, { type: 4, data: { content: ['x'] } }).map((p) => p.path)).toEqual([['data', 'content']]);
    expect(specProblems(route, { type: 99 }).map((p) => p.path)).toEqual([['type']]);
  });
});
