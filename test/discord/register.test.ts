/**
 * Registration at start: PUT the global commands only when their definition changed since the
 * last registration (the hash is kept in the store), with a fake REST and a fake store.
 */
import type { REST } from 'discord.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../commands/types.js';
import { COMMANDS } from '../../commands/index.js';
import { commandsHash, registerCommandsIfChanged } from '../../src/discord/register.js';
import { StoreError, StoredValueError, type Store } from '../../src/store/index.js';

const APP = '1300000000000000100';
const logger = pino({ level: 'silent' });

function fakeRest(fail?: Error) {
  const puts: { route: string; body: unknown }[] = [];
  const rest = {
    put: async (route: string, options: { body: unknown }) => {
      if (fail) throw fail;
      puts.push({ route, body: options.body });
      return [];
    },
  };
  return { rest: rest as unknown as REST, puts };
}

function fakeStore(read?: () => Promise<string | undefined>) {
  const hashes = new Map<string, string>();
  const store: Pick<Store, 'commandHash'> = {
    commandHash: {
      get: read ?? (async (id: string) => hashes.get(id)),
      set: async (id: string, hash: string) => void hashes.set(id, hash),
    } as unknown as Store['commandHash'],
  };
  return { store, hashes };
}

const command = (name: string, description = 'x'): Command => ({ data: { name, description } });

describe('commandsHash', () => {
  it('is stable for the same definitions and changes with any of them', () => {
    const a = [command('vidu'), command('vidu-admin')];
    expect(commandsHash(a)).toBe(commandsHash([command('vidu'), command('vidu-admin')]));
    expect(commandsHash(a)).not.toBe(commandsHash([command('vidu', 'y'), command('vidu-admin')]));
    expect(commandsHash(a)).not.toBe(commandsHash([command('vidu-admin'), command('vidu')]));
    expect(commandsHash(COMMANDS)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('registerCommandsIfChanged', () => {
  it('registers on the first start, then not again until the definitions change', async () => {
    const { rest, puts } = fakeRest();
    const { store, hashes } = fakeStore();
    const run = (commands: readonly Command[]) => registerCommandsIfChanged({ rest, applicationId: APP, commands, store, logger });

    expect(await run(COMMANDS)).toBe(true);
    expect(puts).toEqual([{ route: `/applications/${APP}/commands`, body: COMMANDS.map((c) => c.data) }]);
    expect(hashes.get(APP)).toBe(commandsHash(COMMANDS));

    expect(await run(COMMANDS)).toBe(false);
    expect(puts).toHaveLength(1);

    const changed = [...COMMANDS, command('vidu-extra')];
    expect(await run(changed)).toBe(true);
    expect(puts).toHaveLength(2);
    expect(hashes.get(APP)).toBe(commandsHash(changed));
  });

  it('registers once more when the stored hash cannot be read', async () => {
    const { rest, puts } = fakeRest();
    const { store } = fakeStore(() => Promise.reject(new StoredValueError('commands hash', APP, 'not a string')));
    expect(await registerCommandsIfChanged({ rest, applicationId: APP, commands: COMMANDS, store, logger })).toBe(true);
    expect(puts).toHaveLength(1);
  });

  it('fails the start when the store is down, without registering', async () => {
    const { rest, puts } = fakeRest();
    const { store } = fakeStore(() => Promise.reject(new StoreError('store timed out')));
    await expect(registerCommandsIfChanged({ rest, applicationId: APP, commands: COMMANDS, store, logger })).rejects.toBeInstanceOf(StoreError);
    expect(puts).toEqual([]);
  });

  it('keeps the old hash when Discord refuses the PUT, so the next start tries again', async () => {
    const { rest } = fakeRest(new Error('50035 Invalid Form Body'));
    const { store, hashes } = fakeStore();
    hashes.set(APP, 'previous');
    await expect(registerCommandsIfChanged({ rest, applicationId: APP, commands: COMMANDS, store, logger })).rejects.toThrow(/50035/);
    expect(hashes.get(APP)).toBe('previous');
  });
});
