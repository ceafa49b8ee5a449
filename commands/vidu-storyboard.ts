import { ComponentType, SlashCommandBuilder, TextInputStyle } from 'discord.js';
import { RequestError, describeRequestError } from '../src/generation/errors.js';
import { RESOLUTIONS } from '../src/generation/models.js';
import { buildGenerationRequest, type GenerationRequest } from '../src/generation/request.js';
import { MAX_SHOTS, StoryboardError, buildStoryboardPrompt, describeStoryboardError, parseShotInput } from '../src/generation/storyboard.js';
import { t } from '../src/i18n/index.js';
import { renderRefusal } from '../src/render/render.js';
import { applyDefaults } from '../src/settings/effective.js';
import { prefsBeforeAck } from '../src/settings/member.js';
import { startJob } from './start-job.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, customId, type Command, type ComponentRoute } from './types.js';

/** Each shot's input, in characters (Discord's text-input maximum). */
const SHOT_INPUT_CHARS = 4000;
/** Storyboards are always viduq3-pro: its multi-shot generation is driven by the prompt. */
const STORYBOARD_MODEL = 'viduq3-pro';

export const viduStoryboard: Command = {
  data: new SlashCommandBuilder()
    .setName('vidu-storyboard')
    .setDescription('Up to five shots in a form, made into one multi-shot viduq3-pro video')
    .setIntegrationTypes(MEMBER_INTEGRATIONS)
    .setContexts(MEMBER_CONTEXTS)
    .addIntegerOption((o) => o.setName('duration').setDescription('Length in seconds: 1–16 (default: yours, else 5)').setMinValue(1).setMaxValue(16))
    .addStringOption((o) =>
      o
        .setName('resolution')
        .setDescription('Output resolution')
        .addChoices(...RESOLUTIONS.map((r) => ({ name: r, value: r }))),
    )
    .toJSON(),
  async execute(interaction) {
    // The modal must be the first response; the typed options ride in its custom_id.
    const duration = interaction.options.getInteger('duration');
    const resolution = interaction.options.getString('resolution');
    const locale = interaction.locale;
    await interaction.showModal({
      custom_id: customId('sb', 'go', duration === null ? '-' : String(duration), resolution ?? '-'),
      title: t(locale, 'storyboard.title').slice(0, 45),
      components: Array.from({ length: MAX_SHOTS }, (_, i) => ({
        type: ComponentType.Label,
        label: t(locale, 'storyboard.shot', { n: i + 1 }).slice(0, 45),
        description: t(locale, 'storyboard.shotHint').slice(0, 100),
        component: {
          type: ComponentType.TextInput,
          custom_id: `shot${i + 1}`,
          style: TextInputStyle.Paragraph,
          required: i === 0,
          max_length: SHOT_INPUT_CHARS,
        },
      })),
    } as never);
  },
};

/** The storyboard modal's submit: shots → prompt → a normal job, then the prompt shown back. */
export const storyboardModal: ComponentRoute = {
  prefix: 'sb',
  async modal(interaction, ctx, [action, durationArg, resolutionArg]) {
    if (action !== 'go') return;
    const locale = interaction.locale;
    const read = (id: string) => {
      try {
        return interaction.fields.getTextInputValue(id);
      } catch {
        return '';
      }
    };
    let prompt: string;
    try {
      prompt = buildStoryboardPrompt(Array.from({ length: MAX_SHOTS }, (_, i) => parseShotInput(read(`shot${i + 1}`))));
    } catch (err) {
      if (!(err instanceof StoryboardError)) throw err;
      await interaction.reply(renderRefusal(describeStoryboardError(err, locale)));
      return;
    }
    const typed = {
      prompt,
      model: STORYBOARD_MODEL as string | null,
      duration: durationArg && /^\d{1,2}$/.test(durationArg) ? Number(durationArg) : null,
      resolution: resolutionArg && resolutionArg !== '-' ? resolutionArg : null,
      aspectRatio: null as string | null,
      audio: null as boolean | null,
      images: [],
    };
    let request: GenerationRequest;
    let effective;
    try {
      const prefs = await prefsBeforeAck(ctx.store.memberPrefs, interaction.user.id);
      const settings = ctx.settings.get(interaction.guildId);
      effective = applyDefaults(typed, prefs, settings, { imageCount: 0, inGuild: interaction.inGuild() });
      request = buildGenerationRequest(effective.options, { random: ctx.random });
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      await interaction.reply(renderRefusal(describeRequestError(err, locale)));
      return;
    }
    // The card shows the prompt it built (and Details all of it): a follow-up here would take the
    // place of the deferred reply, which the card then could not replace.
    await startJob(interaction, ctx, request, { ephemeral: effective.ephemeral, notes: effective.notes });
  },
};
