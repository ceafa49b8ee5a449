import { MessageFlags, type Interaction } from 'discord.js';
import type { Command, CommandContext } from '../../commands/types.js';

/**
 * Routes interactions to commands. Handler failures are logged and answered with a short
 * ephemeral note; the member never sees internals.
 */
export function createRouter(commands: readonly Command[], ctx: CommandContext) {
  const byName = new Map(commands.map((c) => [c.data.name, c]));
  return async function route(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isAutocomplete()) {
        await byName.get(interaction.commandName)?.autocomplete?.(interaction, ctx);
        return;
      }
      if (!interaction.isChatInputCommand()) return;
      const command = byName.get(interaction.commandName);
      if (!command) return;
      await command.execute(interaction, ctx);
    } catch (err) {
      ctx.logger.error({ err, interaction: interaction.id }, 'interaction handler failed');
      if (!interaction.isRepliable()) return;
      const content = '⚠️ Something went wrong on the bot’s side. Nothing was charged; please try again.';
      try {
        if (interaction.deferred) await interaction.editReply({ content });
        else if (!interaction.replied) await interaction.reply({ content, flags: MessageFlags.Ephemeral });
      } catch {
        // The interaction may be gone (e.g. already acknowledged by a duplicate); nothing to do.
      }
    }
  };
}
