import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { t } from '../src/i18n/index.js';
import { failureText, renderFinal, renderRefusal, type MessagePayload, type VideoDelivery } from '../src/render/render.js';
import { videoFileName } from '../src/tasks/engine.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { DownloadHttpError, DownloadTooLargeError } from '../src/upstream/download.js';
import { memberJobIds, jobMessageUrl, jobStatus, promptExcerpt } from './vidu-jobs.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, type Command, type CommandContext } from './types.js';

/** Budget for downloading a finished video again, ms (the deferred reply lives 15 min). */
const VIDEO_DOWNLOAD_TIMEOUT_MS = 180_000;
/** Jobs offered by autocomplete (Discord shows at most 25 choices). */
const AUTOCOMPLETE_CHOICES = 25;

/** Messages of `/vidu-show`, in `locale` (a Discord locale). Pure. */
export const say = {
  notYours: (locale: string, id: string) => t(locale, 'show.notYours', { id: id.slice(0, 40) }),
  notFinished: (locale: string, record: TaskRecord) => {
    const url = jobMessageUrl(record);
    const status = jobStatus(record, locale);
    return url ? t(locale, 'show.notFinished', { status, url }) : t(locale, 'show.notFinishedOwn', { status });
  },
  failed: (locale: string, record: TaskRecord) => {
    const outcome = record.outcome as Extract<TaskRecord['outcome'], { kind: 'failed' }>;
    const title = failureText(outcome.code, locale).title;
    return outcome.detail ? t(locale, 'show.failedDetail', { title, detail: outcome.detail }) : t(locale, 'show.failed', { title });
  },
  deleted: (locale: string) => t(locale, 'show.deleted'),
  gone: (locale: string) => t(locale, 'show.gone'),
  expired: (locale: string, expiresAt: number) => t(locale, 'show.expired', { when: `<t:${Math.floor(expiresAt / 1000)}:R>` }),
};

/** Posts the finished video as this interaction's (public) reply: attached if it fits, else linked. */
async function repost(interaction: ChatInputCommandInteraction, ctx: CommandContext, record: TaskRecord, url: string): Promise<void> {
  await interaction.deferReply();
  const limit = interaction.attachmentSizeLimit;
  const send = (payload: MessagePayload, files?: { attachment: Buffer; name: string; description?: string }[]) =>
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- render's flags are a plain bitfield number
    interaction.editReply({ flags: payload.flags, components: payload.components, allowedMentions: { parse: [] }, ...(files ? { files } : {}) });
  const link = (linkReason: VideoDelivery['linkReason']) => send(renderFinal(record, { linkReason }));
  let bytes: Buffer;
  try {
    bytes = await ctx.download.bytes(url, { maxBytes: limit, timeoutMs: VIDEO_DOWNLOAD_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof DownloadTooLargeError) {
      await link({ kind: 'too_large', sizeBytes: err.sizeBytes ?? limit + 1, limitBytes: limit });
      return;
    }
    if (err instanceof DownloadHttpError && (err.status === 404 || err.status === 410)) {
      // Vidu dropped the file earlier than its expiry said.
      await interaction.editReply({ content: `⚠️ ${say.gone(interaction.locale)}`, allowedMentions: { parse: [] } });
      return;
    }
    ctx.logger.warn({ err, task: record.id }, '/vidu-show: video download failed; posting the link');
    await link({ kind: 'upload_failed' });
    return;
  }
  const fileName = videoFileName(record);
  const payload = renderFinal(record, { fileName });
  await send(payload, [{ attachment: bytes, name: fileName, description: payload.attachments?.[0]?.description }]);
  ctx.logger.info({ task: record.id, by: interaction.user.id }, 'result re-posted');
}

export const viduShow: Command = {
  data: new SlashCommandBuilder()
    .setName('vidu-show')
    .setDescription('Post a finished video of yours again here (when it could not be delivered)')
    .setIntegrationTypes(MEMBER_INTEGRATIONS)
    .setContexts(MEMBER_CONTEXTS)
    .addStringOption((o) => o.setName('id').setDescription('The job id (suggestions show your recent jobs)').setRequired(true).setAutocomplete(true).setMaxLength(64))
    .toJSON(),
  async execute(interaction, ctx) {
    const locale = interaction.locale;
    const id = interaction.options.getString('id', true).trim();
    // One read before the answer, inside Discord's 3 s; the re-post itself is deferred.
    const record = /^[\w-]{1,64}$/.test(id) ? await ctx.store.get(id) : undefined;
    if (!record || record.owner.userId !== interaction.user.id) {
      await interaction.reply(renderRefusal(say.notYours(locale, id)));
      return;
    }
    const outcome = record.outcome;
    if (record.state !== 'done' || !outcome) {
      await interaction.reply(renderRefusal(say.notFinished(locale, record)));
      return;
    }
    if (outcome.kind === 'failed') {
      await interaction.reply(renderRefusal(say.failed(locale, record)));
      return;
    }
    if (record.deletedAt !== undefined) {
      await interaction.reply(renderRefusal(say.deleted(locale)));
      return;
    }
    if (outcome.expiresAt !== undefined && outcome.expiresAt <= ctx.now()) {
      await interaction.reply(renderRefusal(say.expired(locale, outcome.expiresAt)));
      return;
    }
    await repost(interaction, ctx, record, outcome.url);
  },
  async autocomplete(interaction, ctx) {
    const typed = interaction.options.getFocused().trim().toLowerCase();
    let choices: { name: string; value: string }[] = [];
    try {
      const ids = await memberJobIds(ctx, interaction.user.id);
      const wanted = typed === '' ? ids.slice(0, AUTOCOMPLETE_CHOICES) : ids;
      const records = await ctx.store.getMany(wanted);
      choices = records
        .filter((r): r is TaskRecord => r?.owner.userId === interaction.user.id)
        .filter((r) => typed === '' || r.id.startsWith(typed) || r.request.prompt.toLowerCase().includes(typed))
        .slice(0, AUTOCOMPLETE_CHOICES)
        .map((r) => ({ name: `${jobStatus(r).split(' ')[0]} ${promptExcerpt(r.request.prompt, 90)}`, value: r.id }));
    } catch (err) {
      ctx.logger.warn({ err }, '/vidu-show autocomplete: store unreadable');
    }
    await interaction.respond(choices);
  },
};
