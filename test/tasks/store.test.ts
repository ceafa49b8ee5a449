import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { createKeyv as createRedisKeyv } from '@keyv/redis';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { TaskRecord } from '../../src/tasks/record.js';
import { StoreError, openStore, redactUrl, type Store } from '../../src/store/index.js';
import { GuildSettingsSchema } from '../../src/settings/settings.js';
import { record, snowflake } from './records.js';

/** A running record with a unique id (Redis is shared between runs). */
function running(overrides: Partial<TaskRecord> = {}, userId = '222222222222222222'): TaskRecord {
  const id = snowflake();
  return record(
    { interaction: { id, userId } },
    {
      state: 'running',
      upstream: { taskId: `task_${id}`, status: 'in_progress', phase: 'running', progress: 40, submittedAt: 1_700_000_000_000 },
      nextAt: 1_700_000_010_000,
      ...overrides,
    },
  );
}

function finished(r: TaskRecord): TaskRecord {
  return {
    ...r,
    state: 'done',
    outcome: { kind: 'video', url: 'https://files.toapis.com/v/1.mp4', completedAt: 1_700_000_100_000 },
    delivered: { via: 'webhook', channelId: r.owner.channelId, messageId: '9', at: 1_700_000_101_000, attached: true },
  };
}

/** The behaviour every backend must share. `open` returns a fresh store over the same data. */
function storeContract(open: () => Promise<Store>, cleanup: (ids: string[]) => Promise<void>) {
  let store: Store;
  const created: string[] = [];
  const track = <T extends TaskRecord>(r: T): T => (created.push(r.id), r);

  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await cleanup(created);
    await store?.close();
  });

  it('ping resolves', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('round-trips a valid record', async () => {
    const r = track(running());
    await store.put(r);
    expect(await store.get(r.id)).toEqual(r);
  });

  it('round-trips an accepted image request', async () => {
    const r = track(
      record({
        interaction: { id: snowflake() },
        raw: {
          model: 'viduq3',
          prompt: '@cat meets @dog “quoted” 🦊',
          images: [
            { id: '1', filename: 'cat.png', size: 10, contentType: 'image/png', url: 'https://cdn.discordapp.com/a/1/cat.png' },
            { id: '2', filename: 'dog.webp', size: 20, contentType: null, url: 'https://cdn.discordapp.com/a/2/dog.webp' },
          ],
        },
      }),
    );
    await store.put(r);
    const back = await store.get(r.id);
    expect(back).toEqual(r);
    expect(back?.request.prompt).toBe('@cat meets @dog “quoted” 🦊');
  });

  it('returns undefined for an unknown id', async () => {
    expect(await store.get(`missing-${snowflake()}`)).toBeUndefined();
  });

  it('indexes running records as pending, with their wake time', async () => {
    const a = track(running({ nextAt: 111 }, '900000000000000001'));
    const b = track(running({ state: 'accepted', upstream: undefined, nextAt: 222 }));
    await store.put(a);
    await store.put(b);
    const pending = await store.listPending();
    expect(pending).toContainEqual({ id: a.id, guildId: a.owner.guildId, userId: '900000000000000001', nextAt: 111, state: 'running' });
    expect(pending).toContainEqual({ id: b.id, guildId: b.owner.guildId, userId: b.owner.userId, nextAt: 222, state: 'accepted' });
  });

  it('updates the pending entry when the record changes', async () => {
    const r = track(running({ nextAt: 1_000 }));
    await store.put(r);
    await store.put({ ...r, nextAt: 2_000, polls: 3 });
    const entries = (await store.listPending()).filter((e) => e.id === r.id);
    expect(entries).toEqual([{ id: r.id, guildId: r.owner.guildId, userId: r.owner.userId, nextAt: 2_000, state: 'running' }]);
    expect((await store.get(r.id))?.polls).toBe(3);
  });

  it('drops a finished record from the pending index but keeps the record', async () => {
    const r = track(running());
    await store.put(r);
    expect((await store.listPending()).map((e) => e.id)).toContain(r.id);
    const done = finished(r);
    await store.put(done);
    expect((await store.listPending()).map((e) => e.id)).not.toContain(r.id);
    expect(await store.get(r.id)).toEqual(done);
  });

  it('getMany returns records in the order asked, undefined for unknown ids', async () => {
    const a = track(running());
    const b = track(running());
    await store.put(a);
    await store.put(b);
    expect(await store.getMany([b.id, `missing-${snowflake()}`, a.id])).toEqual([b, undefined, a]);
    expect(await store.getMany([])).toEqual([]);
  });

  it('rejects an invalid record (zod) and writes nothing', async () => {
    const r = running();
    const bad = { ...r, state: 'exploded' } as unknown as TaskRecord;
    await expect(store.put(bad)).rejects.toBeInstanceOf(ZodError);
    const noUrl = { ...r, outcome: { kind: 'video', url: 'not a url', completedAt: 1 } } as TaskRecord;
    await expect(store.put(noUrl)).rejects.toBeInstanceOf(ZodError);
    const longId = { ...r, id: 'x'.repeat(65) };
    await expect(store.put(longId)).rejects.toBeInstanceOf(ZodError);
    expect(await store.get(r.id)).toBeUndefined();
    expect((await store.listPending()).map((e) => e.id)).not.toContain(r.id);
  });

  it('fills schema defaults on write (dmNotice, attempts, polls)', async () => {
    const r = track(running());
    const loose = {
      ...r,
      reply: { ...r.reply, dmNotice: undefined },
      attempts: undefined,
      polls: undefined,
    } as unknown as TaskRecord;
    await store.put(loose);
    const back = await store.get(r.id);
    expect(back?.reply.dmNotice).toBe(false);
    expect(back?.attempts).toBe(0);
    expect(back?.polls).toBe(0);
  });

  it('a second store over the same data sees the same records and pending index', async () => {
    const r = track(running({ nextAt: 4_242 }));
    const d = track(finished(running()));
    await store.put(r);
    await store.put(d);
    const other = await open();
    try {
      expect(await other.get(r.id)).toEqual(r);
      expect(await other.get(d.id)).toEqual(d);
      const ids = (await other.listPending()).map((e) => e.id);
      expect(ids).toContain(r.id);
      expect(ids).not.toContain(d.id);
    } finally {
      await other.close();
    }
  });

  it('keeps per-server settings in their own namespace', async () => {
    const guild = snowflake();
    const settings = GuildSettingsSchema.parse({ caps: { maxDuration: 8 } });
    await store.settings.set(guild, settings);
    expect(await store.settings.get(guild)).toEqual(settings);
    expect(await store.memberJobs.get(guild)).toBeUndefined();
    expect(await store.get(guild)).toBeUndefined();
    await store.settings.delete(guild);
    expect(await store.settings.get(guild)).toBeUndefined();
  });

  it('keeps the small families apart in the meta namespace', async () => {
    const id = snowflake();
    await store.commandHash.set(id, 'abc');
    await store.memberJobs.set(id, ['t1', 't2']);
    expect(await store.commandHash.get(id)).toBe('abc');
    expect(await store.memberJobs.get(id)).toEqual(['t1', 't2']);
    expect(await store.creditAlerts.get(id)).toBeUndefined();
    await store.memberJobs.delete(id);
    expect(await store.memberJobs.get(id)).toBeUndefined();
    expect(await store.commandHash.get(id)).toBe('abc');
    await store.commandHash.delete(id);
  });
}

describe('openStore: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidu-store-'));
  const url = `sqlite://${join(dir, 'x.sqlite')}`;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  storeContract(
    () => openStore(url),
    async () => {},
  );

  it('indexes a user-install job under no guild (shard 0, like DMs) and a guild-install job under its guild', async () => {
    const store = await openStore(`sqlite://${join(dir, 'owners.sqlite')}`);
    try {
      const viaGuild = record({ interaction: { id: snowflake(), guildId: '1300000000000000010' } });
      const viaUser = record({ interaction: { id: snowflake(), guildId: '1300000000000000010', userInstall: true } });
      await store.put(viaGuild);
      await store.put(viaUser);
      const pending = await store.listPending();
      expect(pending.find((e) => e.id === viaGuild.id)?.guildId).toBe('1300000000000000010');
      expect(pending.find((e) => e.id === viaUser.id)?.guildId).toBeNull();
      expect((await store.get(viaUser.id))?.owner).toMatchObject({ guildId: '1300000000000000010', userInstall: true });
    } finally {
      await store.close();
    }
  });

  it('survives a restart: a new store over the same file has the records and the pending index', async () => {
    const file = join(dir, 'restart.sqlite');
    const first = await openStore(`sqlite://${file}`);
    const a = running({ nextAt: 10 });
    const b = running({ nextAt: 20 });
    const c = finished(running());
    await first.put(a);
    await first.put(b);
    await first.put(c);
    await first.close();

    const second = await openStore(`sqlite://${file}`);
    try {
      expect(await second.get(a.id)).toEqual(a);
      expect(await second.getMany([c.id, b.id])).toEqual([c, b]);
      const pending = await second.listPending();
      expect(pending.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
      expect(pending.find((e) => e.id === a.id)?.nextAt).toBe(10);
    } finally {
      await second.close();
    }
  });

  it('creates missing parent directories', async () => {
    const file = join(dir, 'deep', 'er', 'still', 'tasks.sqlite');
    expect(existsSync(join(dir, 'deep'))).toBe(false);
    const store = await openStore(`sqlite://${file}`);
    try {
      const r = running();
      await store.put(r);
      expect(await store.get(r.id)).toEqual(r);
      expect(existsSync(file)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reports a stored record that no longer parses once, then sets it aside (issue 9: no loop)', async () => {
    const file = join(dir, 'corrupt.sqlite');
    const store = await openStore(`sqlite://${file}`);
    const raw = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${file}` }), namespace: 'task' });
    try {
      await raw.set('broken', { v: 1, id: 'broken', state: 'running' });
      await expect(store.get('broken')).rejects.toThrow(/^stored task does not parse/);
      // Quarantined by the first read: afterwards it is simply absent.
      await expect(store.get('broken')).resolves.toBeUndefined();
      // A bulk read sets a bad row aside the same way, and reads it as absent.
      await raw.set('broken-too', { v: 1, id: 'broken-too', state: 'running' });
      await expect(store.getMany(['broken-too'])).resolves.toEqual([undefined]);
      await expect(store.get('broken-too')).resolves.toBeUndefined();
    } finally {
      await raw.disconnect();
      await store.close();
    }
  });

  it('a parent "directory" that is a regular file rejects (with the raw fs error, not StoreError)', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'not a directory');
    await expect(openStore(`sqlite://${join(blocker, 'x.sqlite')}`)).rejects.toThrow(/EEXIST|ENOTDIR/);
  });

  it('the child-process probe opens a good SQLite path (control for the test below)', async () => {
    const result = await probeOpenStore(`sqlite://${join(dir, 'probe-ok', 'x.sqlite')}`);
    expect(result.stdout.trim()).toBe('OPENED');
    expect(result.code).toBe(0);
  });

  // @keyv/sqlite opens lazily: a failed open (SQLITE_CANTOPEN, e.g. STORE_URL names a directory)
  // must surface as StoreError, not an unhandled rejection. Run in a child process so a crash
  // could not take down the test worker.
  it('a SQLite path that cannot be opened rejects with StoreError instead of crashing the process', async () => {
    const target = mkdtempSync(join(dir, 'is-a-dir-'));
    const result = await probeOpenStore(`sqlite://${target}`);
    expect(result.stderr).not.toContain('SQLITE_CANTOPEN');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^STORE_ERROR cannot open store sqlite:/);
  });
});

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `openStore(url)` in a fresh Node process and reports how it ended. */
async function probeOpenStore(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = join(mkdtempSync(join(tmpdir(), 'vidu-probe-')), 'probe.mts');
  writeFileSync(
    script,
    [
      `import { openStore, StoreError } from ${JSON.stringify(pathToFileURL(join(REPO, 'src/store/index.ts')).href)};`,
      'try {',
      '  const store = await openStore(process.argv[2]);',
      "  console.log('OPENED');",
      '  await store.close();',
      '} catch (e) {',
      "  console.log(`${e instanceof StoreError ? 'STORE_ERROR' : 'OTHER_ERROR'} ${e.message}`);",
      '}',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script, url], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  rmSync(dirname(script), { recursive: true, force: true });
  return { code, stdout, stderr };
}

const REDIS_URL = process.env.REDIS_URL;

describe.skipIf(!REDIS_URL)('openStore: Redis', () => {
  storeContract(
    () => openStore(REDIS_URL!),
    async (ids) => {
      // Remove only what this file wrote; other suites may share the database.
      for (const namespace of ['task', 'pending']) {
        const k = createRedisKeyv(REDIS_URL, { namespace });
        try {
          await k.delete(ids);
        } finally {
          await k.disconnect();
        }
      }
    },
  );
});

describe('openStore: unreachable Redis', () => {
  it('rejects with StoreError instead of hanging', { timeout: 10_000 }, async () => {
    const err = await openStore('redis://127.0.0.1:1/0').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).name).toBe('StoreError');
    expect((err as StoreError).message).toMatch(/^cannot open store redis:\/\/127\.0\.0\.1:1\/0: /);
  });

  it('hides the password of the URL in the error', { timeout: 10_000 }, async () => {
    const err = await openStore('redis://user:hunter2-password@127.0.0.1:1/0').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect(err!.message).toContain('redis://[REDACTED]@127.0.0.1:1/0');
    expect(err!.message).not.toContain('hunter2-password');
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://user:pass@host:6379/0', 'redis://[REDACTED]@host:6379/0'],
    ['rediss://:pass@host:6380/1', 'rediss://[REDACTED]@host:6380/1'],
    ['redis://host:6379/0', 'redis://host:6379/0'],
    ['sqlite://data/vidu.sqlite', 'sqlite://data/vidu.sqlite'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
