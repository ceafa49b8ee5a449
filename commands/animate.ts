import { ApplicationCommandType, ComponentType, TextInputStyle, type Attachment, type MessageContextMenuCommandInteraction } from 'discord.js';
import { RequestError, describeRequestError } from '../src/generation/errors.js';
import { GENERATION_DEFAULTS, MODEL_IDS, MODELS } from '../src/generation/models.js';
import { buildGenerationRequest, type AttachmentRef } from '../src/generation/request.js';
import { t, tn } from '../src/i18n/index.js';
import { messageUrl, renderRefusal } from '../src/render/render.js';
import { absentIfCorrupt } from '../src/store/index.js';
import { PENDING_ANIMATION_TTL_MS, type PendingAnimation } from '../src/store/animations.js';
import { BoundedMap } from '../src/bounded-map.js';
import { isJobId } from './access.js';
import { startJob } from './start-job.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, customId, type Command, type ComponentRoute } from './types.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|gif)$/i;

/** Images of the right-clicked message, in order; by declared type or, if absent, file name. */
export function imagesOfMessage(attachments: Iterable<Attachment>): AttachmentRef[] {
  const out: AttachmentRef[] = [];
  for (const a of attachments) {
    const isImage = a.contentType ? a.contentType.startsWith('image/') : IMAGE_EXT.test(a.name);
    if (isImage) out.push({ id: a.id, filename: a.name, size: a.size, contentType: a.contentType, url: a.url });
  }
  return out;
}

/**
 * Which images a model animates: pro/turbo take the first image, or both when the message has
 * exactly two (first and last frame); viduq3 takes all, up to 7.
 */
export function imagesForModel(model: string, images: AttachmentRef[]): AttachmentRef[] {
  if (model === 'viduq3') return images.slice(0, MODELS.viduq3.maxImages);
  return images.length === 2 ? images : images.slice(0, 1);
}

/** Opened Animate forms whose images this process keeps in memory (the store has them all). */
const PENDING_ANIMATIONS_KEPT = 1_000;

// The modal must be the first response (nothing may be awaited before it), so the images wait
// here; they are also written to the store right after, for a submit that lands after a restart.
// Bounded: one entry per opened form, and anyone can open forms; the store keeps the rest.
const pending = new BoundedMap<string, PendingAnimation & { at: number }>(PENDING_ANIMATIONS_KEPT);

export const animate: Command = {
  data: {
    type: ApplicationCommandType.Message,
    name: 'Animate with Vidu',
    integration_types: MEMBER_INTEGRATIONS,
    contexts: MEMBER_CONTEXTS,
  },
  async contextMenu(interaction: MessageContextMenuCommandInteraction, ctx) {
    const locale = interaction.locale;
    const target = interaction.targetMessage;
    const images = imagesOfMessage(target.attachments.values());
    if (images.length === 0) {
      await interaction.reply(renderRefusal(t(locale, 'animate.noImages')));
      return;
    }
    const now = ctx.now();
    for (const [id, p] of pending) if (now - p.at > PENDING_ANIMATION_TTL_MS) pending.delete(id);
    const entry: PendingAnimation = {
      images,
      messageUrl: messageUrl(target.guildId ?? interaction.guildId, target.channelId, target.id),
      userId: interaction.user.id,
    };
    pending.set(interaction.id, { ...entry, at: now });
    const defaultModel = images.length > 2 ? 'viduq3' : GENERATION_DEFAULTS.model;
    await interaction.showModal({
      custom_id: customId('animate', 'go', interaction.id),
      title: tn(locale, 'animate.title', images.length).slice(0, 45),
      components: [
        {
          type: ComponentType.Label,
          label: t(locale, 'form.prompt'),
          description: t(locale, 'form.promptHint'),
          component: { type: ComponentType.TextInput, custom_id: 'prompt', style: TextInputStyle.Paragraph, required: true, max_length: 4000 },
        },
        {
          type: ComponentType.Label,
          label: t(locale, 'form.model'),
          description: t(locale, 'form.modelHint'),
          component: {
            type: ComponentType.StringSelect,
            custom_id: 'model',
            options: MODEL_IDS.map((id) => ({ label: id, value: id, description: t(locale, `model.${id}`).slice(0, 100), default: id === defaultModel })),
          },
        },
        {
          type: ComponentType.Label,
          label: t(locale, 'form.duration'),
          component: {
            type: ComponentType.TextInput,
            custom_id: 'duration',
            style: TextInputStyle.Short,
            required: false,
            max_length: 2,
            value: String(GENERATION_DEFAULTS.duration),
          },
        },
      ],
    } as never);
    await ctx.store.pendingAnimations.set(interaction.id, entry).catch((err: unknown) => ctx.logger.warn({ err }, 'could not persist the pending animation'));
  },
};

/** The Animate modal's submit. */
export const animateModal: ComponentRoute = {
  prefix: 'animate',
  async modal(interaction, ctx, [action, id]) {
    if (action !== 'go' || !isJobId(id)) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'auth.invalid')));
      return;
    }
    const entry = pending.get(id) ?? (await ctx.store.pendingAnimations.get(id).catch(absentIfCorrupt));
    if (!entry) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'animate.expired', { command: t(interaction.locale, 'animate.commandName') })));
      return;
    }
    // The custom_id names the opener's form; only the opener may submit it (an entry without an
    // opener, written by an older version, is nobody's).
    if (entry.userId !== interaction.user.id) {
      ctx.logger.info({ form: id, by: interaction.user.id }, 'refused: animate form opened by another member');
      await interaction.reply(renderRefusal(t(interaction.locale, 'auth.animateNotYours', { command: t(interaction.locale, 'animate.commandName') })));
      return;
    }
    const model = interaction.fields.getStringSelectValues('model')[0] ?? GENERATION_DEFAULTS.model;
    const duration = interaction.fields.getTextInputValue('duration').trim();
    let request;
    try {
      request = buildGenerationRequest(
        {
          prompt: interaction.fields.getTextInputValue('prompt'),
          model,
          duration: duration === '' ? null : /^\d{1,2}$/.test(duration) ? Number(duration) : Number.NaN,
          images: imagesForModel(model, entry.images),
        },
        { random: ctx.random },
      );
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      await interaction.reply(renderRefusal(describeRequestError(err, interaction.locale)));
      return;
    }
    const started = await startJob(interaction, ctx, request, { parent: { id, kind: 'animate', messageUrl: entry.messageUrl } });
    if (started) {
      pending.delete(id);
      await ctx.store.pendingAnimations.delete(id).catch(() => undefined);
    }
  },
};
