import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

const BOT_TOKEN = 'MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs';
const API_KEY = 'sk-live-abc123def456ghi789';
const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OkxvbmdUb2tlblZhbHVl';

/** A logger writing into memory; `lines()` parses what it wrote, `raw()` is the exact text. */
function capture(options: { level?: string; secrets?: string[] } = {}) {
  const chunks: string[] = [];
  const logger = createLogger({
    level: options.level ?? 'trace',
    secrets: options.secrets ?? [BOT_TOKEN, API_KEY],
    destination: { write: (s: string) => void chunks.push(s) },
  });
  return {
    logger,
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger: secrets passed in `secrets` never reach the output', () => {
  it.each([
    ['as the message', (l: pino.Logger) => l.info(`connecting with ${BOT_TOKEN}`)],
    ['as a field', (l: pino.Logger) => l.info({ key: API_KEY }, 'using key')],
    ['nested deep in an object', (l: pino.Logger) => l.info({ a: { b: { c: [{ d: `x ${BOT_TOKEN} y` }] } } }, 'nested')],
    ['in an Error message and stack', (l: pino.Logger) => l.error({ err: new Error(`401 for key ${API_KEY}`) }, 'failed')],
    ['as the logged Error itself', (l: pino.Logger) => l.error(new Error(`bad token ${BOT_TOKEN}`))],
    ['in an Error cause', (l: pino.Logger) => l.error({ err: new Error('outer', { cause: new Error(`inner ${API_KEY}`) }) }, 'chain')],
    ['in printf-style interpolation', (l: pino.Logger) => l.warn('key=%s token=%s', API_KEY, BOT_TOKEN)],
    ['through a child logger binding', (l: pino.Logger) => l.child({ mod: 'x', auth: BOT_TOKEN }).info('child line')],
  ])('%s', (_name, write) => {
    const out = capture();
    write(out.logger);
    const raw = out.raw();
    expect(raw.length).toBeGreaterThan(0);
    expect(raw).not.toContain(BOT_TOKEN);
    expect(raw).not.toContain(API_KEY);
    expect(raw).toContain('[REDACTED]');
    // Every line stays valid JSON after masking.
    expect(out.lines().length).toBeGreaterThan(0);
  });

  it('keeps the rest of the line readable', () => {
    const out = capture();
    out.logger.info({ task: '123', note: `key ${API_KEY} rejected` }, 'submit failed');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 30, task: '123', note: 'key [REDACTED] rejected', msg: 'submit failed' });
  });

  it('masks every occurrence, not just the first', () => {
    const out = capture();
    out.logger.info(`${BOT_TOKEN}|${BOT_TOKEN}|${BOT_TOKEN}`);
    expect(out.lines()[0]!.msg).toBe('[REDACTED]|[REDACTED]|[REDACTED]');
  });

  it('masks a secret that does not look like any known key format', () => {
    const custom = 'plain-looking-password-42';
    const out = capture({ secrets: [custom] });
    out.logger.info({ detail: `pw is ${custom}` }, 'x');
    expect(out.raw()).not.toContain(custom);
    expect(out.lines()[0]!.detail).toBe('pw is [REDACTED]');
  });
});

describe('createLogger: credentials that are not in `secrets`', () => {
  const out = capture({ secrets: [] });

  it('masks sk- keys', () => {
    out.logger.info({ body: '{"error":"invalid key sk-otherkey123456"}' }, 'upstream said');
    const line = out.lines().at(-1)!;
    expect(JSON.stringify(line)).not.toContain('sk-otherkey123456');
    expect(line.body).toBe('{"error":"invalid key sk-[REDACTED]"}');
  });

  it('masks Bearer and Bot authorization values', () => {
    out.logger.info('sent Authorization: Bearer abcdefghij0123456789 and Bot MTk4NjIy.Cl2FMQ.ZnCjm1XVW7');
    const msg = out.lines().at(-1)!.msg;
    expect(msg).toBe('sent Authorization: Bearer [REDACTED] and Bot [REDACTED]');
  });

  it('masks the interaction token in a webhook path', () => {
    const url = `https://discord.com/api/v10/webhooks/1234567890/${INTERACTION_TOKEN}/messages/@original`;
    out.logger.warn({ url }, 'PATCH failed');
    const line = out.lines().at(-1)!;
    expect(out.raw()).not.toContain(INTERACTION_TOKEN);
    expect(line.url).toBe('https://discord.com/api/v10/webhooks/1234567890/[REDACTED]/messages/@original');
  });

  it('masks the interaction token in a callback path', () => {
    out.logger.warn(`POST /interactions/987654321/${INTERACTION_TOKEN}/callback failed`);
    expect(out.lines().at(-1)!.msg).toBe('POST /interactions/987654321/[REDACTED]/callback failed');
  });

  it('leaves ordinary ids and words alone', () => {
    out.logger.info({ task: '175928847299117063', channel: '41771983423143937' }, 'skipping the tokenizer step');
    expect(out.lines().at(-1)).toMatchObject({
      task: '175928847299117063',
      channel: '41771983423143937',
      msg: 'skipping the tokenizer step',
    });
  });
});

describe('createLogger: redacted field names', () => {
  it.each([
    [{ token: INTERACTION_TOKEN }, (l: Record<string, unknown>) => l.token],
    [{ interaction: { id: '1', token: INTERACTION_TOKEN } }, (l: Record<string, unknown>) => (l.interaction as { token: unknown }).token],
    [{ reply: { token: INTERACTION_TOKEN } }, (l: Record<string, unknown>) => (l.reply as { token: unknown }).token],
    [{ headers: { authorization: 'Basic dXNlcjpwYXNz' } }, (l: Record<string, unknown>) => (l.headers as { authorization: unknown }).authorization],
    [{ apiKey: 'whatever-key' }, (l: Record<string, unknown>) => l.apiKey],
    [{ upstream: { apiKey: 'whatever-key' } }, (l: Record<string, unknown>) => (l.upstream as { apiKey: unknown }).apiKey],
    [{ discordToken: 'short' }, (l: Record<string, unknown>) => l.discordToken],
    [{ toapisApiKey: 'short' }, (l: Record<string, unknown>) => l.toapisApiKey],
  ])('%j is censored', (fields, pick) => {
    const out = capture({ secrets: [] });
    out.logger.info(fields, 'fields');
    expect(pick(out.lines()[0]!)).toBe('[REDACTED]');
    expect(out.raw()).not.toContain(INTERACTION_TOKEN);
  });

  // A whole TaskRecord logged under a key (`{ record }` → record.reply.token) stays redacted.
  it('keeps the token of a whole task record out of the log', () => {
    const out = capture({ secrets: [] });
    out.logger.info({ record: { id: '1', reply: { token: INTERACTION_TOKEN } } }, 'record');
    expect(out.raw()).not.toContain(INTERACTION_TOKEN);
  });
});

describe('createLogger: levels and destination', () => {
  it('drops lines below the level', () => {
    const out = capture({ level: 'warn' });
    out.logger.info('not shown');
    out.logger.debug('not shown');
    out.logger.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
    expect(out.lines()[0]!.level).toBe(40);
  });

  it('writes no pid/hostname base fields', () => {
    const out = capture();
    out.logger.info('x');
    const line = out.lines()[0]!;
    expect(line).not.toHaveProperty('pid');
    expect(line).not.toHaveProperty('hostname');
  });

  const dir = mkdtempSync(join(tmpdir(), 'vidu-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('masks what reaches a pino.destination file', () => {
    const file = join(dir, 'out.log');
    const logger = createLogger({ level: 'info', secrets: [API_KEY], destination: pino.destination({ dest: file, sync: true }) });
    logger.error({ err: new Error(`rejected ${API_KEY}`) }, `key ${API_KEY}`);
    logger.flush();
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"msg":"key [REDACTED]"');
    expect(text).not.toContain(API_KEY);
  });

  it('ignores secrets shorter than 6 characters (they would mask ordinary words)', () => {
    const out = capture({ secrets: ['info', 'abc'] });
    out.logger.info('abc info');
    expect(out.lines()[0]!.msg).toBe('abc info');
  });
});
