import type { RepliableInteraction } from 'discord.js';
import type { GenerationRequest } from '../src/generation/request.js';
import { renderRefusal } from '../src/render/render.js';
import { newTaskRecord } from '../src/tasks/accept.js';
import { describeLimit } from '../src/tasks/limits.js';
import type { TaskRecord } from '../src/tasks/record.js';
import type { CommandContext } from './types.js';

/** Recent job ids per member, newest first, for `/vidu-jobs`. */
export const MEMBER_JOBS_KEPT = 100;
export const memberJobsKey = (userId: string) => `jobs:${userId}`;

export interface StartOptions {
  /** Images already uploaded to toapis (a re-roll reuses them): the job starts at the submit. */
  uploadedImageUrls?: string[];
  parent?: TaskRecord['parent'];
}

/**
 * Shared by every entry point that starts a job: checks the member's limits, acknowledges,
 * writes the record, schedules it. Answers inside Discord's 3 s before any network call of ours.
 */
export async function startJob(
  interaction: RepliableInteraction,
  ctx: CommandContext,
  request: GenerationRequest,
  options: StartOptions = {},
): Promise<TaskRecord | undefined> {
  if (!ctx.accepting()) {
    await interaction.reply(renderRefusal('The bot is restarting. Try again in a minute.'));
    return undefined;
  }
  const verdict = ctx.gate.check(interaction.user.id, ctx.scheduler.inFlightFor(interaction.user.id));
  if (!verdict.ok) {
    await interaction.reply(renderRefusal(describeLimit(verdict)));
    return undefined;
  }
  ctx.gate.record(interaction.user.id);
  const response = await interaction.deferReply({ withResponse: true });
  // A deferred response has no `resource.message`; its id comes with the callback's interaction.
  const callback = response.interaction;
  let record = newTaskRecord(
    {
      id: interaction.id,
      applicationId: interaction.applicationId,
      token: interaction.token,
      userId: interaction.user.id,
      guildId: interaction.guildId,
      channelId: interaction.channelId ?? '',
      locale: interaction.locale,
      attachmentSizeLimit: interaction.attachmentSizeLimit,
      messageId: callback.responseMessageId,
      ephemeral: callback.responseMessageEphemeral ?? false,
    },
    request,
    { now: ctx.now(), tokenMarginMs: ctx.tokenMarginMs },
  );
  if (options.uploadedImageUrls) record = { ...record, state: 'submitting', uploadedImageUrls: options.uploadedImageUrls };
  if (options.parent) record = { ...record, parent: options.parent };
  try {
    await ctx.store.put(record);
  } catch (err) {
    ctx.logger.error({ err, task: record.id }, 'store unavailable; job refused');
    await interaction.editReply({ content: '⚠️ The bot’s storage is unavailable right now, so nothing was started. Please try again shortly.' });
    return undefined;
  }
  ctx.logger.info({ task: record.id, user: record.owner.userId, model: request.model, mode: request.mode, parent: record.parent?.id }, 'job accepted');
  ctx.scheduler.schedule(record.id, record.owner.userId);
  await rememberMemberJob(ctx, record).catch((err) => ctx.logger.warn({ err, task: record.id }, 'could not index the job for /vidu-jobs'));
  return record;
}

async function rememberMemberJob(ctx: CommandContext, record: TaskRecord): Promise<void> {
  const key = memberJobsKey(record.owner.userId);
  const ids = (await ctx.store.meta.get<string[]>(key)) ?? [];
  await ctx.store.meta.set(key, [record.id, ...ids.filter((id) => id !== record.id)].slice(0, MEMBER_JOBS_KEPT));
}
