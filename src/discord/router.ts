import { MessageFlags, type Interaction } from 'discord.js';
import { parseCustomId, type Command, type CommandContext, type ComponentRoute } from '../../commands/types.js';
import { t } from '../i18n/index.js';
import { renderRefusal } from '../render/render.js';

/**
 * Routes interactions: commands by name, buttons and modals by custom_id prefix. Handler
 * failures are logged and answered with a short ephemeral note; members never see internals.
 */
export function createRouter(commands: readonly Command[], components: readonly ComponentRoute[], ctx: CommandContext) {
  const byName = new Map(commands.map((c) => [c.data.name, c]));
  const byPrefix = new Map(components.map((c) => [c.prefix, c]));
  return async function route(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isAutocomplete()) {
        await byName.get(interaction.commandName)?.autocomplete?.(interaction, ctx);
      } else if (interaction.isChatInputCommand()) {
        await byName.get(interaction.commandName)?.execute?.(interaction, ctx);
      } else if (interaction.isMessageContextMenuCommand()) {
        await byName.get(interaction.commandName)?.contextMenu?.(interaction, ctx);
      } else if (interaction.isButton() || interaction.isModalSubmit() || interaction.isStringSelectMenu()) {
        const { prefix, args } = parseCustomId(interaction.customId);
        const handler = byPrefix.get(prefix);
        if (interaction.isButton() && handler?.button) await handler.button(interaction, ctx, args);
        else if (interaction.isStringSelectMenu() && handler?.select) await handler.select(interaction, ctx, args);
        else if (interaction.isModalSubmit() && handler?.modal) await handler.modal(interaction, ctx, args);
        else {
          // A custom_id no route owns (forged, or from an older version): say so, do nothing.
          ctx.logger.info({ interaction: interaction.id, by: interaction.user.id, customId: interaction.customId.slice(0, 100) }, 'refused: unknown custom_id');
          await interaction.reply(renderRefusal(t(interaction.locale, 'auth.invalid')));
        }
      }
    } catch (err) {
      ctx.logger.error({ err, interaction: interaction.id }, 'interaction handler failed');
      if (!interaction.isRepliable()) return;
      const content = `⚠️ ${t(interaction.locale, 'error.generic')}`;
      try {
        if (interaction.deferred) await interaction.editReply({ content });
        else if (!interaction.replied) await interaction.reply({ content, flags: MessageFlags.Ephemeral });
      } catch {
        // The interaction may be gone (e.g. already acknowledged by a duplicate); nothing to do.
      }
    }
  };
}
