import { ApplicationIntegrationType, InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { FAILURE_TEXT, renderFinal, renderRefusal, type MessagePayload, type VideoDelivery } from '../src/render/render.js';
import { videoFileName } from '../src/tasks/engine.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { DownloadHttpError, DownloadTooLargeError } from '../src/upstream/download.js';
import { memberJobIds, jobMessageUrl, jobStatus, promptExcerpt } from './vidu-jobs.js';
import type { Command, CommandContext } from './types.js';

/** Budget for downloading a finished video again, ms (the deferred reply lives 15 min). */
const VIDEO_DOWNLOAD_TIMEOUT_MS = 180_000;
/** Jobs offered by autocomplete (Discord shows at most 25 choices). */
const AUTOCOMPLETE_CHOICES = 25;

/** Messages of `/vidu-show`. Pure. */
export const say = {
  notYours: (id: string) => `You have no job \`${id.slice(0, 40)}\`: no such job of yours. Pick one from the suggestions, or see \`/vidu-jobs\`.`,
  notFinished: (record: TaskRecord) => {
    const url = jobMessageUrl(record);
    return `That job is not finished yet (${jobStatus(record)}). Its result will appear${url ? ` in ${url}` : ' in its own message'} when it is done.`;
  },
  failed: (record: TaskRecord) => {
    const outcome = record.outcome as Extract<TaskRecord['outcome'], { kind: 'failed' }>;
    return `That job failed: ${FAILURE_TEXT[outcome.code].title}.${outcome.detail ? ` ${outcome.detail}` : ''} There is no video to show; try \`/vidu\` again.`;
  },
  deleted: () => 'That video was deleted with its Delete button, so it is not posted again.',
  gone: () => 'Vidu no longer has the file of that video, so it can no longer be posted. Run it again with `/vidu`.',
  expired: (expiresAt: number) =>
    `That video expired at Vidu <t:${Math.floor(expiresAt / 1000)}:R> (finished videos are kept 24 h), so it can no longer be posted. Run it again with \`/vidu\`.`,
};

/** Posts the finished video as this interaction's (public) reply: attached if it fits, else linked. */
async function repost(interaction: ChatInputCommandInteraction, ctx: CommandContext, record: TaskRecord, url: string): Promise<void> {
  await interaction.deferReply();
  const limit = interaction.attachmentSizeLimit;
  const send = (payload: MessagePayload, files?: { attachment: Buffer; name: string; description?: string }[]) =>
    interaction.editReply({ flags: payload.flags, components: payload.components, allowedMentions: { parse: [] }, ...(files ? { files } : {}) } as never);
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
      await interaction.editReply({ content: `⚠️ ${say.gone()}`, allowedMentions: { parse: [] } });
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
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall)
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel)
    .addStringOption((o) => o.setName('id').setDescription('The job id (suggestions show your recent jobs)').setRequired(true).setAutocomplete(true).setMaxLength(64))
    .toJSON(),
  async execute(interaction, ctx) {
    const id = interaction.options.getString('id', true).trim();
    // One read before the answer, inside Discord's 3 s; the re-post itself is deferred.
    const record = /^[\w-]{1,64}$/.test(id) ? await ctx.store.get(id) : undefined;
    if (!record || record.owner.userId !== interaction.user.id) {
      await interaction.reply(renderRefusal(say.notYours(id)));
      return;
    }
    const outcome = record.outcome;
    if (record.state !== 'done' || !outcome) {
      await interaction.reply(renderRefusal(say.notFinished(record)));
      return;
    }
    if (outcome.kind === 'failed') {
      await interaction.reply(renderRefusal(say.failed(record)));
      return;
    }
    if (record.deletedAt !== undefined) {
      await interaction.reply(renderRefusal(say.deleted()));
      return;
    }
    if (outcome.expiresAt !== undefined && outcome.expiresAt <= ctx.now()) {
      await interaction.reply(renderRefusal(say.expired(outcome.expiresAt)));
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
