import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MEMBER_PREFS, createMemberPrefs, memberPrefsKey } from '../../src/settings/member.js';
import { openNamespaces, parseStoreUrl } from '../../src/store/keyv.js';
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
    // Written raw into the same namespace, as an older or broken version might have left it.
    const raw = openNamespaces(parseStoreUrl(`sqlite://${file}`)!);
    await raw.meta.set(memberPrefsKey('u1'), { model: 'viduq9', pings: 'yes' });
    await Promise.all(Object.values(raw).map((kv) => kv.disconnect()));
    expect(await createMemberPrefs({ family: store.memberPrefs }).get('u1')).toEqual(DEFAULT_MEMBER_PREFS);
  });
});
