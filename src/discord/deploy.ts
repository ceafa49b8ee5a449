import { Routes, type REST } from 'discord.js';
import type { Command } from '../../commands/types.js';

/**
 * Registers `commands` now, whatever was registered before (one bulk-overwrite PUT). With
 * `guildId` they go to that guild only — they appear at once, for development; without it they
 * are the global commands the bot itself registers on start when their definition changed.
 * Resolves with the number of commands Discord now holds there.
 */
export async function deployCommands(options: { rest: REST; commands: readonly Command[]; guildId?: string }): Promise<number> {
  const app = (await options.rest.get(Routes.currentApplication())) as { id: string };
  const route = options.guildId ? Routes.applicationGuildCommands(app.id, options.guildId) : Routes.applicationCommands(app.id);
  const stored = (await options.rest.put(route, { body: options.commands.map((c) => c.data) })) as unknown[];
  return stored.length;
}
