import { createHash } from 'node:crypto';
import { Routes, type REST } from 'discord.js';
import type { Command } from '../../commands/types.js';
import type { Logger } from '../log.js';
import { StoredValueError, type Store } from '../store/index.js';

/** Hash of what Discord would store for our commands. */
export function commandsHash(commands: readonly Command[]): string {
  return createHash('sha256')
    .update(JSON.stringify(commands.map((c) => c.data)))
    .digest('hex');
}

/**
 * Registers the global commands when their definition changed since the last registration
 * (200 command creates per day per guild is Discord's quota; re-PUTting on every boot is waste).
 */
export async function registerCommandsIfChanged(options: {
  rest: REST;
  applicationId: string;
  commands: readonly Command[];
  store: Pick<Store, 'commandHash'>;
  logger: Logger;
}): Promise<boolean> {
  const hash = commandsHash(options.commands);
  const previous = await options.store.commandHash.get(options.applicationId).catch((err: unknown) => {
    // An unreadable hash only means registering once more.
    if (err instanceof StoredValueError) return undefined;
    throw err;
  });
  if (previous === hash) return false;
  await options.rest.put(Routes.applicationCommands(options.applicationId), { body: options.commands.map((c) => c.data) });
  await options.store.commandHash.set(options.applicationId, hash);
  options.logger.info({ count: options.commands.length }, 'slash commands registered');
  return true;
}
