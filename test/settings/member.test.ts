import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { DEFAULT_MEMBER_PREFS, createMemberPrefs } from '../../src/settings/member.js';
import { openStore, type Store } from '../../src/store/index.js';

let dir: string;
let file: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-prefs-'));
  file = join(dir, 's.sqlite');
  store = await openStore(`sqlite://${file}`);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('member preferences over a real SQLite store', () => {
  it('a member with nothing stored has nothing set and pings on', async () => {
    const prefs = createMemberPrefs({ family: store.memberPrefs });
    const got = await prefs.get('u1');
    expect(got).toEqual(DEFAULT_MEMBER_PREFS);
    expect(got.pings).toBe(true);
    expect(got.model).toBeUndefined();
  });

  it('keeps each member apart and survives reopening the store', async () => {
    const prefs = createMemberPrefs({ family: store.memberPrefs });
    await prefs.update('u1', () => ({ model: 'viduq3-turbo', resolution: '1080p', pings: false, audioType: 'speech_only' }));
    await prefs.update('u2', () => ({ duration: 8 }));
    await store.close();
    store = await openStore(`sqlite://${file}`);
    const again = createMemberPrefs({ family: store.memberPrefs });
    expect(await again.get('u1')).toMatchObject({ model: 'viduq3-turbo', resolution: '1080p', pings: false, audioType: 'speech_only' });
    expect((await again.get('u1')).duration).toBeUndefined();
    expect(await again.get('u2')).toMatchObject({ duration: 8, pings: true });
  });

  it('setting a field to undefined clears it', async () => {
    const prefs = createMemberPrefs({ family: store.memberPrefs });
    await prefs.update('u1', () => ({ model: 'viduq3', audio: false }));
    const next = await prefs.update('u1', () => ({ model: undefined }));
    expect(next.model).toBeUndefined();
    expect(next.audio).toBe(false);
    expect((await prefs.get('u1')).model).toBeUndefined();
  });

  it('refuses an invalid value and leaves the stored defaults as they were', async () => {
    const prefs = createMemberPrefs({ family: store.memberPrefs });
    await prefs.update('u1', () => ({ duration: 5 }));
    await expect(prefs.update('u1', () => ({ duration: 99 }))).rejects.toThrow();
    await expect(prefs.update('u1', () => ({ audioType: 'loud' as never }))).rejects.toThrow();
    expect((await prefs.get('u1')).duration).toBe(5);
  });

  it('a stored value that no longer parses reads as nothing set', async () => {
    // Something stored first, so a wrong key below would read it back and fail the test.
    await createMemberPrefs({ family: store.memberPrefs }).update('u1', () => ({ model: 'viduq3-turbo' }));
    const raw = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${file}` }), namespace: 'meta' });
    await raw.set('prefs:u1', { model: 'viduq9', pings: 'yes' });
    await raw.disconnect();
    expect(await createMemberPrefs({ family: store.memberPrefs }).get('u1')).toEqual(DEFAULT_MEMBER_PREFS);
  });
});
