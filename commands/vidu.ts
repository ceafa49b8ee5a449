import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { RequestError, describeRequestError } from '../src/generation/errors.js';
import { ASPECT_RATIO_SUGGESTIONS, MAX_PROMPT_CHARS, MAX_SEED, MODEL_IDS, MODELS, RESOLUTIONS } from '../src/generation/models.js';
import { buildGenerationRequest, type AttachmentRef, type GenerationRequest } from '../src/generation/request.js';
import { t } from '../src/i18n/index.js';
import { renderRefusal } from '../src/render/render.js';
import { addSavedSubjects, createSubjectLibrary, describeUnknownSubject, type LibraryEntry } from '../src/subjects/library.js';
import { applyDefaults, type Effective } from '../src/settings/effective.js';
import { prefsBeforeAck } from '../src/settings/member.js';
import { startJob } from './start-job.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, type Command } from './types.js';

export const IMAGE_OPTIONS = ['image1', 'image2', 'image3', 'image4', 'image5', 'image6', 'image7'] as const;

const builder = new SlashCommandBuilder()
  .setName('vidu')
  .setDescription('Make a video with Vidu Q3 from a prompt and optional reference images')
  .setIntegrationTypes(MEMBER_INTEGRATIONS)
  .setContexts(MEMBER_CONTEXTS)
  .addStringOption((o) =>
    o.setName('prompt').setDescription('What happens in the video. Name subjects as @name (viduq3)').setRequired(true).setMaxLength(MAX_PROMPT_CHARS),
  )
  .addStringOption((o) =>
    o
      .setName('model')
      .setDescription('Which Vidu Q3 model (default: turbo; viduq3 when 3+ images)')
      .addChoices(...MODEL_IDS.map((id) => ({ name: `${id} — ${MODELS[id].description}`.slice(0, 100), value: id }))),
  )
  .addIntegerOption((o) => o.setName('duration').setDescription('Length in seconds: 1–16 (viduq3: 3–16). Default 5').setMinValue(1).setMaxValue(16))
  .addStringOption((o) =>
    o
      .setName('resolution')
      .setDescription('Output resolution (default 720p)')
      .addChoices(...RESOLUTIONS.map((r) => ({ name: r, value: r }))),
  )
  .addStringOption((o) => o.setName('aspect_ratio').setDescription('W:H such as 16:9 — text-to-video only on pro/turbo').setAutocomplete(true).setMaxLength(11))
  .addBooleanOption((o) => o.setName('audio').setDescription('Generate speech and sound effects (default on)'))
  .addIntegerOption((o) => o.setName('seed').setDescription('Seed for reproducible results (default random)').setMinValue(0).setMaxValue(MAX_SEED))
  .addStringOption((o) =>
    o
      .setName('audio_type')
      .setDescription('Which sound to make (needs audio on; requested, not guaranteed)')
      .addChoices(
        { name: 'all — speech and sound effects', value: 'all' },
        { name: 'speech_only', value: 'speech_only' },
        { name: 'sound-effect_only', value: 'sound-effect_only' },
      ),
  )
  .addBooleanOption((o) => o.setName('off_peak').setDescription('Cheaper, made within 48 hours (needs audio on)'));
for (const [i, name] of IMAGE_OPTIONS.entries()) {
  builder.addAttachmentOption((o) =>
    o
      .setName(name)
      .setDescription(
        i === 0
          ? 'First frame (1 image), or a reference (viduq3)'
          : i === 1
            ? 'Last frame (2 images), or a reference (viduq3)'
            : 'Another reference image (viduq3, up to 7)',
      ),
  );
}

/** Reads /vidu's options into the shape `buildGenerationRequest` validates. */
export function readVideoOptions(interaction: ChatInputCommandInteraction) {
  const images: AttachmentRef[] = [];
  for (const name of IMAGE_OPTIONS) {
    const a = interaction.options.getAttachment(name);
    if (a) images.push({ id: a.id, filename: a.name, size: a.size, contentType: a.contentType, url: a.url });
  }
  return {
    prompt: interaction.options.getString('prompt') ?? '',
    model: interaction.options.getString('model'),
    duration: interaction.options.getInteger('duration'),
    resolution: interaction.options.getString('resolution'),
    aspectRatio: interaction.options.getString('aspect_ratio'),
    audio: interaction.options.getBoolean('audio'),
    seed: interaction.options.getInteger('seed'),
    audioType: interaction.options.getString('audio_type'),
    offPeak: interaction.options.getBoolean('off_peak'),
    images,
  };
}

export const vidu: Command = {
  data: builder.toJSON(),
  async execute(interaction, ctx) {
    if (!ctx.firstSighting(interaction.id)) return; // a duplicated INTERACTION_CREATE
    let request: GenerationRequest;
    const options = readVideoOptions(interaction);
    let saved: LibraryEntry[] | undefined;
    let effective: Effective<typeof options>;
    // Asked explicitly not to be off-peak where the server makes every video off-peak: say so
    // rather than quietly making it wait up to 48 h.
    if (options.offPeak === false && ctx.settings.get(interaction.guildId).offPeak === 'force') {
      await interaction.reply(renderRefusal(t(interaction.locale, 'rules.offPeakForced')));
      return;
    }
    try {
      // What the member left out: their own defaults, then the server's, within the server's caps.
      // One small store read before the acknowledgement, like the saved subjects below.
      const prefs = await prefsBeforeAck(ctx.store.memberPrefs, interaction.user.id);
      effective = applyDefaults(options, prefs, ctx.settings.get(interaction.guildId), {
        imageCount: options.images.length,
        inGuild: interaction.inGuild(),
      });
      Object.assign(options, effective.options);
      // viduq3 `@names` no attachment stands for come from the member's saved subjects. This is
      // one small store read (their index) before the acknowledgement: it must stay well inside
      // Discord's 3 s, so the images themselves are read by the engine at job start.
      saved = await addSavedSubjects(options, interaction.user.id, createSubjectLibrary(ctx.store, { now: ctx.now }));
      request = buildGenerationRequest(options, { random: ctx.random });
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      const text =
        saved && err.is('unknown_subject')
          ? describeUnknownSubject(err, options.images, saved, interaction.locale)
          : describeRequestError(err, interaction.locale);
      await interaction.reply(renderRefusal(text));
      return;
    }
    await startJob(interaction, ctx, request, { ephemeral: effective.ephemeral, notes: effective.notes });
  },
  async autocomplete(interaction) {
    const typed = interaction.options.getFocused().trim();
    const choices = ASPECT_RATIO_SUGGESTIONS.filter((r) => r.startsWith(typed));
    const list: { name: string; value: string }[] = (choices.length > 0 ? choices : ASPECT_RATIO_SUGGESTIONS).map((r) => ({ name: r, value: r }));
    if (/^\d{1,4}:\d{1,4}$/.test(typed) && !list.some((c) => c.value === typed)) list.unshift({ name: typed, value: typed });
    await interaction.respond(list.slice(0, 25));
  },
};
