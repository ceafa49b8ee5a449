import type { ButtonInteraction } from 'discord.js';
import { t } from '../src/i18n/index.js';
import { renderRefusal, renderStopped } from '../src/render/render.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { settleSpend } from '../src/settings/spend.js';
import { createStoryChain } from '../src/tasks/story.js';
import { mayModerate } from './access.js';
import type { CommandContext } from './types.js';

/**
 * The Stop button on a progress card (issue 12). Who may press it is decided here, on the server,
 * from the job record and the interaction's member permissions: the requester, or a member with
 * Manage Messages in the job's server. The stop mark is written first (the engine reads it before
 * every step and before the final message), then the record, then the member's slot is freed.
 */
export async function stopJob(interaction: ButtonInteraction, ctx: CommandContext, record: TaskRecord): Promise<void> {
  if (!mayModerate(record, interaction)) {
    await interaction.reply(renderRefusal(t(interaction.locale, 'stop.notYours')));
    return;
  }
  if (record.state === 'done') {
    await interaction.reply(renderRefusal(t(interaction.locale, 'stop.finished')));
    return;
  }
  await interaction.deferUpdate();
  const mark = { at: ctx.now(), by: interaction.user.id };
  await ctx.store.stopMarks.set(record.id, mark);
  const stopped: TaskRecord = { ...record, state: 'done', stopped: mark, updatedAt: ctx.now() };
  // The in-flight slot is freed at once; the weight stays counted (toapis cannot cancel). If the
  // store fails here the reservation stays open, which counts the same: nothing is given back.
  await settleSpend(ctx, stopped).catch((err: unknown) => ctx.logger.warn({ err, task: record.id }, 'could not settle the stopped job’s spend'));
  await ctx.store.put(stopped);
  ctx.scheduler.release(record.id);
  // A story ends here: the clips after this one never run, and what they reserved is given back.
  if (record.story) {
    await createStoryChain({ ...ctx, schedule: (id, userId) => ctx.scheduler.schedule(id, userId) })
      .ended(stopped, 'stopped')
      .catch((err: unknown) => ctx.logger.warn({ err, task: record.id }, 'could not end the story'));
  }
  ctx.logger.info({ task: record.id, by: interaction.user.id, state: record.state }, 'job stopped');
  await interaction.editReply(renderStopped(stopped));
}
