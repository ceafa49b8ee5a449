import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { DiscordWriteError } from '../src/discord/outbox.js';
import { t } from '../src/i18n/index.js';
import { failureDetail, failureText, renderFinal, renderRefusal, type VideoDelivery } from '../src/render/render.js';
import { describeLimit } from '../src/tasks/limits.js';
import { videoFileName } from '../src/discord/deliver.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { DownloadHttpError, DownloadTooLargeError } from '../src/upstream/download.js';
import { accessRefusal } from './access.js';
import { taskPhase } from '../src/upstream/schemas.js';
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
    const detail = failureDetail(outcome, locale);
    return detail ? t(locale, 'show.failedDetail', { title, detail }) : t(locale, 'show.failed', { title });
  },
  deleted: (locale: string) => t(locale, 'show.deleted'),
  gone: (locale: string) => t(locale, 'show.gone'),
  expired: (locale: string, expiresAt: number) => t(locale, 'show.expired', { when: `<t:${Math.floor(expiresAt / 1000)}:R>` }),
};

/**
 * Posts the finished video as this interaction's reply (ephemeral when the server keeps replies
 * private): attached if it fits, else linked. The file is downloaded to disk and streamed from
 * there into the upload (`fs.openAsBlob` in the outbox), never held in memory whole.
 */
async function repost(interaction: ChatInputCommandInteraction, ctx: CommandContext, record: TaskRecord, url: string, ephemeral: boolean): Promise<void> {
  if (!interaction.deferred) await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const limit = interaction.attachmentSizeLimit;
  const link = (linkReason: VideoDelivery['linkReason']) => ctx.outbox.editOriginal(interaction.token, renderFinal(record, { linkReason }));
  const path = join(ctx.tmpDir, `show-${interaction.id}.mp4`);
  try {
    try {
      await ctx.download.toFile(url, path, { maxBytes: limit, timeoutMs: VIDEO_DOWNLOAD_TIMEOUT_MS });
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
    try {
      await ctx.outbox.editOriginal(interaction.token, renderFinal(record, { fileName }), [{ name: fileName, path, contentType: 'video/mp4' }]);
    } catch (err) {
      if (!(err instanceof DiscordWriteError) || err.kind !== 'too_large') throw err;
      await link({ kind: 'too_large', sizeBytes: limit + 1, limitBytes: limit });
      return;
    }
    ctx.logger.info({ task: record.id, by: interaction.user.id }, 'result re-posted');
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * A job the member stopped before the bot saw its result: ask the upstream now (by the kept task
 * id); when the video is there, record it and post it like any finished job.
 */
async function showStopped(interaction: ChatInputCommandInteraction, ctx: CommandContext, record: TaskRecord, ephemeral: boolean): Promise<void> {
  const locale = interaction.locale;
  if (!record.upstream) {
    await interaction.reply(renderRefusal(t(locale, 'show.stoppedNotStarted')));
    return;
  }
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const task = await ctx.upstreamTask(record.upstream.taskId);
  const phase = taskPhase(task.status);
  const item = task.result?.data[0];
  if (phase === 'completed' && item) {
    const outcome: TaskRecord['outcome'] = {
      kind: 'video',
      url: item.url,
      lastFrameUrl: item.last_frame_url,
      completedAt: ctx.now(),
      expiresAt: task.expires_at !== undefined ? task.expires_at * 1000 : undefined,
    };
    const found: TaskRecord = { ...record, outcome, upstream: { ...record.upstream, status: task.status, phase, progress: 100 }, updatedAt: ctx.now() };
    await ctx.store.put(found);
    await repost(interaction, ctx, found, item.url, ephemeral);
    return;
  }
  const text =
    phase === 'queued' || phase === 'running' ? t(locale, 'show.stoppedRunning', { percent: Math.round(task.progress ?? 0) }) : t(locale, 'show.stoppedFailed');
  await interaction.editReply({ content: `⚠️ ${text}`, allowedMentions: { parse: [] } });
}

export const viduShow: Command = {
  data: new SlashCommandBuilder()
    .setName('vidu-show')
    .setDescription('Post a finished video of yours again here (when it could not be delivered)')
    .setIntegrationTypes(MEMBER_INTEGRATIONS)
    .setContexts(MEMBER_CONTEXTS)
    .addStringOption((o) =>
      o.setName('id').setDescription('The job id (suggestions show your recent jobs)').setRequired(true).setAutocomplete(true).setMaxLength(64),
    )
    .toJSON(),
  async execute(interaction, ctx) {
    const locale = interaction.locale;
    // The same gate as /vidu (paused, channels, roles), then the member's rate gate.
    const settings = ctx.settings.get(interaction.guildId);
    const access = accessRefusal(interaction, settings);
    if (access) {
      await interaction.reply(renderRefusal(access));
      return;
    }
    // Re-posts are counted (in the store, across shards) in a window of their own, so they never
    // eat into the member's job starts.
    const verdict = await ctx.gate.admitRepost(interaction.user.id, interaction.id);
    if (!verdict.ok) {
      await interaction.reply(renderRefusal(describeLimit(verdict, locale)));
      return;
    }
    const id = interaction.options.getString('id', true).trim();
    // One read before the answer, inside Discord's 3 s; the re-post itself is deferred.
    const record = /^[\w-]{1,64}$/.test(id) ? await ctx.store.get(id) : undefined;
    if (!record || record.owner.userId !== interaction.user.id) {
      await interaction.reply(renderRefusal(say.notYours(locale, id)));
      return;
    }
    if (record.stopped && !record.outcome && record.state === 'done') {
      await showStopped(interaction, ctx, record, settings.replies === 'private');
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
    await repost(interaction, ctx, record, outcome.url, settings.replies === 'private');
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
