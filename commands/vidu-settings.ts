import { MessageFlags, SlashCommandBuilder, type ButtonInteraction, type StringSelectMenuInteraction } from 'discord.js';
import { z } from 'zod';
import { t } from '../src/i18n/index.js';
import { PREF_FIELDS, fieldOffered, parsePrefValue, renderPrefsPanel, type PanelContext } from '../src/render/prefs-panel.js';
import { renderRefusal } from '../src/render/render.js';
import { offPeakAllowed } from '../src/settings/effective.js';
import { createMemberPrefs } from '../src/settings/member.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, type Command, type CommandContext, type ComponentRoute } from './types.js';

function panelContext(interaction: { user: { id: string }; locale: string; guildId: string | null; inGuild(): boolean }, ctx: CommandContext): PanelContext {
  const settings = ctx.settings.get(interaction.guildId);
  return { userId: interaction.user.id, locale: interaction.locale, settings, inGuild: interaction.inGuild(), offPeakAllowed: offPeakAllowed(settings) };
}

export const viduSettings: Command = {
  data: new SlashCommandBuilder()
    .setName('vidu-settings')
    .setDescription('Your own defaults for /vidu: model, length, resolution, audio, pings…')
    .setIntegrationTypes(MEMBER_INTEGRATIONS)
    .setContexts(MEMBER_CONTEXTS)
    .toJSON(),
  async execute(interaction, ctx) {
    const prefs = await createMemberPrefs({ family: ctx.store.memberPrefs }).get(interaction.user.id);
    await interaction.reply(renderPrefsPanel(prefs, panelContext(interaction, ctx)) as never);
  },
};

/** `prefs:set:<field>:<userId>`, `prefs:pings:<userId>`, `prefs:reset:<userId>`. */
const ArgsSchema = z.union([
  z.tuple([z.literal('set'), z.enum(PREF_FIELDS), z.string().regex(/^\d{1,20}$/)]),
  z.tuple([z.enum(['pings', 'reset']), z.string().regex(/^\d{1,20}$/)]),
]);

/**
 * The panel's controls. The panel is ephemeral, but a custom_id can be forged: the user id in it
 * must be the clicking member's, checked here. State is read from the store on every click.
 */
async function act(interaction: ButtonInteraction | StringSelectMenuInteraction, ctx: CommandContext, args: string[]): Promise<void> {
  const parsed = ArgsSchema.safeParse(args);
  if (!parsed.success) {
    await interaction.reply(renderRefusal(t(interaction.locale, 'prefs.invalid')));
    return;
  }
  const owner = parsed.data[parsed.data.length - 1] as string;
  if (owner !== interaction.user.id) {
    await interaction.reply(renderRefusal(t(interaction.locale, 'prefs.notYours')));
    return;
  }
  const repo = createMemberPrefs({ family: ctx.store.memberPrefs });
  const where = panelContext(interaction, ctx);
  let prefs;
  if (parsed.data[0] === 'set') {
    const field = parsed.data[1];
    const value = interaction.isStringSelectMenu() ? parsePrefValue(field, interaction.values[0] ?? '') : null;
    if (value === null || !fieldOffered(field, where)) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'prefs.invalid')));
      return;
    }
    prefs = await repo.update(owner, () => ({ [field]: value }));
  } else if (parsed.data[0] === 'pings') {
    prefs = await repo.update(owner, (p) => ({ pings: !p.pings }));
  } else {
    await repo.clear(owner);
    prefs = await repo.get(owner);
  }
  ctx.logger.info({ user: owner, action: parsed.data[0] }, 'member defaults changed');
  const { flags, ...panel } = renderPrefsPanel(prefs, where);
  // An update keeps the message's flags; Ephemeral cannot be set on an edit.
  await interaction.update({ ...panel, flags: flags & ~MessageFlags.Ephemeral } as never);
}

export const prefsPanel: ComponentRoute = {
  prefix: 'prefs',
  button: act,
  select: act,
};
