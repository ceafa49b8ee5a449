import { ComponentType, MessageFlags, TextInputStyle, type ButtonInteraction, type ModalSubmitInteraction } from 'discord.js';
import { RequestError, describeRequestError } from '../src/generation/errors.js';
import { MODEL_IDS, MODELS, RESOLUTIONS } from '../src/generation/models.js';
import { buildGenerationRequest, type GenerationRequest, type RawVideoOptions } from '../src/generation/request.js';
import { t, type PlainKey } from '../src/i18n/index.js';
import { codeText, escapeMarkdown } from '../src/render/escape.js';
import { describeSettings, messageUrl, modeLabel, renderRefusal, type JobAction } from '../src/render/render.js';
import { lastFrameSource, storedImageUrl } from '../src/generation/image-source.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { isJobId, isRequester, mayModerate, notYours } from './access.js';
import { startJob } from './start-job.js';
import { stopJob } from './stop-job.js';
import { customId, type CommandContext, type ComponentRoute } from './types.js';

/** Text inputs hold at most 4000 characters (Discord's limit). */
const MODAL_PROMPT_CHARS = 4000;

/** Where the job's result was posted, for "Re-roll of …" links. */
function resultUrl(record: TaskRecord): string | undefined {
  const d = record.delivered;
  if (d?.channelId && d.messageId) return messageUrl(record.owner.guildId, d.channelId, d.messageId);
  // Not yet marked delivered (a click right as it lands): the reply it is editing.
  return record.reply.messageId ? messageUrl(record.owner.guildId, record.owner.channelId, record.reply.messageId) : undefined;
}

/** The reproducing command line shown under Details. */
export function reproduceLine(request: GenerationRequest): string {
  const quote = (s: string) => `"${s.replace(/\s+/g, ' ').replace(/"/g, '\\"')}"`;
  const parts = [`/vidu prompt:${quote(request.prompt)}`, `model:${request.model}`, `duration:${request.duration}`, `resolution:${request.resolution}`];
  if (request.aspectRatio) parts.push(`aspect_ratio:${request.aspectRatio}`);
  parts.push(`audio:${request.audio}`);
  if (request.audioType) parts.push(`audio_type:${request.audioType}`);
  if (request.offPeak) parts.push('off_peak:true');
  parts.push(`seed:${request.seed}`);
  request.images.forEach((img, i) => parts.push(`image${i + 1}:${img.filename}`));
  return parts.join(' ');
}

/** The ephemeral Details view, in the reader's `locale` (a Discord locale; default en-US). Pure. */
export function renderDetails(record: TaskRecord, locale = 'en-US'): string {
  const r = record.request;
  const when = (ms: number | undefined) => (ms ? `<t:${Math.floor(ms / 1000)}:f>` : '—');
  const label = (key: PlainKey) => `**${t(locale, key)}**`;
  const subjects = r.subjects.length ? ` (${t(locale, 'details.subjects', { names: r.subjects.map((s) => escapeMarkdown(`@${s.name}`)).join(', ') })})` : '';
  const promptChars = [...r.prompt];
  const ratio = r.aspectRatio ?? t(locale, r.aspectRatioDropped ? 'details.ratioFromImage' : 'details.ratioDefault');
  const lines = [
    `${label('details.prompt')}\n${escapeMarkdown(promptChars.slice(0, 1200).join(''))}${promptChars.length > 1200 ? '…' : ''}`,
    `${label('details.settings')} ${describeSettings(r, locale)}`,
    `${label('details.model')} ${r.model} · ${label('details.mode')} ${modeLabel(r.mode, locale)} · ${label('details.duration')} ${r.duration} s · ${label('details.resolution')} ${r.resolution}`,
    `${label('details.aspectRatio')} ${ratio} · ${label('details.audio')} ${t(locale, r.audio ? 'details.on' : 'details.off')} · ${label('details.seed')} ${r.seed}`,
    `${label('details.references')} ${r.images.length}${subjects}`,
    `${label('details.task')} ${record.upstream ? `\`${codeText(record.upstream.taskId)}\`` : '—'} · ${label('details.job')} \`${record.id}\``,
    `${label('details.requested')} ${when(record.createdAt)} · ${label('details.finished')} ${when(record.outcome?.kind === 'video' ? record.outcome.completedAt : record.delivered?.at)}`,
    // In a code block: a prompt with ``` must not close it and let the rest render as markdown.
    `${label('details.reproduce')}\n\`\`\`\n${codeText(reproduceLine(r).slice(0, 1500))}\n\`\`\``,
  ];
  return lines.join('\n').slice(0, 2000);
}

async function load(interaction: ButtonInteraction | ModalSubmitInteraction, ctx: CommandContext, id: string | undefined) {
  const record = id ? await ctx.store.get(id) : undefined;
  if (!record) await interaction.reply(renderRefusal(t(interaction.locale, 'actions.expired')));
  return record;
}

/** Images of a job as /vidu options, pointing at the original attachments. */
function imagesOf(record: TaskRecord): RawVideoOptions['images'] {
  return record.request.images.map((img, i) => ({ id: String(i), filename: img.filename, size: img.size, contentType: img.contentType, url: img.url }));
}

/** A re-run reuses the images already uploaded to toapis when the set is unchanged. */
function reuseUploads(record: TaskRecord, request: GenerationRequest): string[] | undefined {
  const urls = record.uploadedImageUrls;
  return urls && urls.length === request.images.length && urls.length > 0 ? urls : request.images.length === 0 ? [] : undefined;
}

const actions: Record<JobAction, (i: ButtonInteraction, ctx: CommandContext, record: TaskRecord) => Promise<void>> = {
  async reroll(interaction, ctx, record) {
    const request: GenerationRequest = { ...record.request, seed: Math.floor(ctx.random() * 2_147_483_648) };
    await startJob(interaction, ctx, request, {
      uploadedImageUrls: reuseUploads(record, request),
      parent: { id: record.id, kind: 'reroll', messageUrl: resultUrl(record) },
    });
  },

  async edit(interaction, _ctx, record) {
    const r = record.request;
    const locale = interaction.locale;
    await interaction.showModal({
      custom_id: customId('job', 'edit', record.id),
      title: t(locale, 'form.editTitle').slice(0, 45),
      components: [
        {
          type: ComponentType.Label,
          label: t(locale, 'form.prompt'),
          component: {
            type: ComponentType.TextInput,
            custom_id: 'prompt',
            style: TextInputStyle.Paragraph,
            required: true,
            max_length: MODAL_PROMPT_CHARS,
            value: r.prompt.slice(0, MODAL_PROMPT_CHARS),
          },
        },
        {
          type: ComponentType.Label,
          label: t(locale, 'form.model'),
          component: {
            type: ComponentType.StringSelect,
            custom_id: 'model',
            options: MODEL_IDS.map((id) => ({ label: id, value: id, description: t(locale, `model.${id}`).slice(0, 100), default: id === r.model })),
          },
        },
        {
          type: ComponentType.Label,
          label: t(locale, 'form.duration'),
          component: {
            type: ComponentType.TextInput,
            custom_id: 'duration',
            style: TextInputStyle.Short,
            required: true,
            max_length: 2,
            value: String(r.duration),
          },
        },
        {
          type: ComponentType.Label,
          label: t(locale, 'form.resolution'),
          component: {
            type: ComponentType.StringSelect,
            custom_id: 'resolution',
            options: RESOLUTIONS.map((res) => ({ label: res, value: res, default: res === r.resolution })),
          },
        },
      ],
    } as never);
  },

  async continue(interaction, ctx, record) {
    const outcome = record.outcome;
    if (outcome?.kind !== 'video') {
      await interaction.reply(renderRefusal(t(interaction.locale, 'actions.continueNotVideo')));
      return;
    }
    if (outcome.expiresAt !== undefined && outcome.expiresAt <= ctx.now()) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'actions.continueExpired')));
      return;
    }
    const model = MODELS[record.request.model].imageRole === 'frames' ? record.request.model : 'viduq3-pro';
    const frameUrl = storedImageUrl(lastFrameSource(outcome));
    const request: GenerationRequest = {
      ...record.request,
      model,
      mode: 'image-to-video',
      aspectRatio: undefined,
      aspectRatioDropped: record.request.aspectRatio !== undefined,
      seed: Math.floor(ctx.random() * 2_147_483_648),
      images: [{ filename: 'last-frame.png', size: 0, contentType: null, url: frameUrl }],
      subjects: [],
    };
    await startJob(interaction, ctx, request, { parent: { id: record.id, kind: 'continue', messageUrl: resultUrl(record) } });
  },

  async details(interaction, _ctx, record) {
    await interaction.reply({ content: renderDetails(record, interaction.locale), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },

  async delete(interaction, ctx, record) {
    if (!mayModerate(record, interaction)) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'actions.deleteNotAllowed', { owner: `<@${record.owner.userId}>` })));
      return;
    }
    await interaction.deferUpdate();
    await interaction.deleteReply();
    await ctx.store.put({ ...record, deletedAt: ctx.now(), updatedAt: ctx.now() });
    ctx.logger.info({ task: record.id, by: interaction.user.id }, 'result deleted');
  },

  stop: stopJob,
};

/**
 * Loads the job a click or modal names and checks, on the server, that this member may act on
 * it: a well-formed id of a stored job whose requester is `interaction.user` (Delete and Stop:
 * also Manage Messages in the job's server, checked by the action). A forged custom_id proves nothing; each refusal is
 * ephemeral, in the member's locale, and happens before anything is uploaded or submitted.
 */
async function authorized(interaction: ButtonInteraction | ModalSubmitInteraction, ctx: CommandContext, action: string, id: string | undefined) {
  if (!isJobId(id)) {
    ctx.logger.info({ by: interaction.user.id, customId: interaction.customId.slice(0, 100) }, 'refused: malformed job id');
    await interaction.reply(renderRefusal(t(interaction.locale, 'auth.invalid')));
    return undefined;
  }
  const record = await load(interaction, ctx, id);
  if (!record) return undefined;
  // Delete and Stop also admit moderators: those actions check with mayModerate themselves.
  if (action !== 'delete' && action !== 'stop' && !isRequester(record, interaction.user.id)) {
    ctx.logger.info({ task: record.id, action, by: interaction.user.id }, 'refused: not the requester');
    await interaction.reply(renderRefusal(notYours(record, interaction.locale)));
    return undefined;
  }
  return record;
}

const isAction = (action: string | undefined): action is JobAction => action !== undefined && Object.hasOwn(actions, action);

/** Buttons on a finished video, and the Edit & re-run modal. */
export const jobActions: ComponentRoute = {
  prefix: 'job',
  async button(interaction, ctx, [action, id, ...extra]) {
    if (!isAction(action) || extra.length > 0) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'auth.invalid')));
      return;
    }
    const record = await authorized(interaction, ctx, action, id);
    if (record) await actions[action](interaction, ctx, record);
  },
  async modal(interaction, ctx, [action, id, ...extra]) {
    if (action !== 'edit' || extra.length > 0) {
      await interaction.reply(renderRefusal(t(interaction.locale, 'auth.invalid')));
      return;
    }
    const record = await authorized(interaction, ctx, action, id);
    if (!record) return;
    const r = record.request;
    let request: GenerationRequest;
    try {
      const duration = interaction.fields.getTextInputValue('duration').trim();
      request = buildGenerationRequest(
        {
          prompt: interaction.fields.getTextInputValue('prompt'),
          model: interaction.fields.getStringSelectValues('model')[0] ?? r.model,
          duration: /^\d{1,2}$/.test(duration) ? Number(duration) : Number.NaN,
          resolution: interaction.fields.getStringSelectValues('resolution')[0] ?? r.resolution,
          aspectRatio: r.aspectRatio ?? null,
          audio: r.audio,
          audioType: r.audioType ?? null,
          offPeak: r.offPeak ?? null,
          seed: r.seed,
          images: imagesOf(record),
        },
        { random: ctx.random },
      );
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      await interaction.reply(renderRefusal(describeRequestError(err, interaction.locale)));
      return;
    }
    await startJob(interaction, ctx, request, {
      uploadedImageUrls: reuseUploads(record, request),
      parent: { id: record.id, kind: 'edit', messageUrl: resultUrl(record) },
    });
  },
};
