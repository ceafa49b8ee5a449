import { MessageFlags } from 'discord.js';
import { z } from 'zod';
import { t } from '../src/i18n/index.js';
import { createMemberPrefs } from '../src/settings/member.js';
import type { ComponentRoute } from './types.js';

/** The user id a `pings:off:<userId>` button is for (the custom_id is member-visible input). */
const UserIdSchema = z.string().regex(/^\d{15,21}$/);

/**
 * "Turn off pings" on a ping message (src/render/ping.ts): only the pinged member may use it;
 * it sets their `pings` preference off, the same one `/vidu-settings` shows.
 */
export const pingButtons: ComponentRoute = {
  prefix: 'pings',
  async button(interaction, ctx, [action, rawUserId]) {
    const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    const userId = UserIdSchema.safeParse(rawUserId);
    if (action !== 'off' || !userId.success) {
      await reply(`⚠️ ${t(interaction.locale, 'error.generic')}`);
      return;
    }
    // Checked here, on the server: the button is visible to everyone in the channel.
    if (interaction.user.id !== userId.data) {
      await reply(`⚠️ ${t(interaction.locale, 'ping.notYours')}`);
      return;
    }
    await createMemberPrefs({ family: ctx.store.memberPrefs }).update(userId.data, () => ({ pings: false }));
    ctx.logger.info({ user: userId.data }, 'member turned pings off');
    await reply(t(interaction.locale, 'ping.turnedOff'));
  },
};
