import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBot } from '../support/child.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the real process with `env` and returns its exit code and output. */
async function startWith(env: Record<string, string>) {
  const bot = spawnBot(env, dir);
  const result = await bot.exited;
  return { ...result, output: bot.lines };
}

describe('configuration problems stop the process at start with one clear line', () => {
  it('missing DISCORD_TOKEN', async () => {
    const { code, output } = await startWith({ TOAPIS_API_KEY: 'sk-abcdef123456' });
    expect(code).toBe(1);
    expect(output).toEqual(['vidu-bot: DISCORD_TOKEN is required']);
  });

  it('missing TOAPIS_API_KEY, and the token given is never printed', async () => {
    const { code, output } = await startWith({ DISCORD_TOKEN: 'MTEST.secret-token-value' });
    expect(code).toBe(1);
    expect(output).toEqual(['vidu-bot: TOAPIS_API_KEY is required']);
  });

  it('a STORE_URL of an unknown kind', async () => {
    const { code, output } = await startWith({ DISCORD_TOKEN: 'MTEST.x', TOAPIS_API_KEY: 'sk-abcdef123456', STORE_URL: 'mysql://db/x' });
    expect(code).toBe(1);
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(/^vidu-bot: STORE_URL must be sqlite:\/\/.* or redis:\/\//);
  });

  it('a store that cannot be reached', async () => {
    const { code, output } = await startWith({
      DISCORD_TOKEN: 'MTEST.x',
      TOAPIS_API_KEY: 'sk-abcdef123456',
      STORE_URL: 'redis://127.0.0.1:1/0',
    });
    expect(code).toBe(1);
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(/^vidu-bot: cannot open store redis:\/\/127\.0\.0\.1:1\/0/);
  });
});
