import {
  ApplicationIntegrationType,
  ButtonStyle,
  ComponentType,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type APIActionRowComponent,
  type APIButtonComponent,
} from 'discord.js';
import { FAILURE_TEXT, messageUrl } from '../src/render/render.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { memberJobsKey } from './start-job.js';
import { customId, type Command, type CommandContext, type ComponentRoute } from './types.js';

/** Jobs shown per page of `/vidu-jobs`. */
export const JOBS_PER_PAGE = 5;
/** Longest prompt excerpt in a list line or an autocomplete choice, in characters. */
const EXCERPT_CHARS = 60;

/** Flattened, cut by code point, with an ellipsis when cut. */
export function promptExcerpt(prompt: string, max = EXCERPT_CHARS): string {
  const chars = [...prompt.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Escapes Discord markdown so a prompt shows as written. */
function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>#\[\]()-])/g, '\\$1');
}

/** queued / generating % / done / failed (with the failure's title), as a member reads it. */
export function jobStatus(record: TaskRecord): string {
  if (record.deletedAt !== undefined) return '🗑️ Deleted';
  const failed = record.outcome?.kind === 'failed' ? `❌ Failed — ${FAILURE_TEXT[record.outcome.code].title}` : undefined;
  switch (record.state) {
    case 'accepted':
      return '⏳ Preparing';
    case 'submitting':
      return '⏳ Submitting';
    case 'running': {
      const up = record.upstream;
      if (!up || up.status === 'queued' || up.status === 'submitted' || up.status === 'pending') return '🕒 Queued';
      return up.progress > 0 ? `🎬 Generating · ${Math.round(up.progress)}%` : '🎬 Generating';
    }
    case 'delivering':
      return failed ?? '📦 Finishing';
    case 'done':
      if (failed) return failed;
      return record.delivered?.via === 'none' ? '✅ Done (could not be posted — use `/vidu-show`)' : '✅ Done';
  }
}

/** Link to the job's message: where the result was posted, else the reply being edited. */
export function jobMessageUrl(record: TaskRecord): string | undefined {
  const d = record.delivered;
  if (d?.channelId && d.messageId) return messageUrl(d.via === 'dm' ? null : record.owner.guildId, d.channelId, d.messageId);
  if (d?.via === 'none') return undefined;
  return record.reply.messageId ? messageUrl(record.owner.guildId, record.owner.channelId, record.reply.messageId) : undefined;
}

export interface JobsPage {
  content: string;
  components: APIActionRowComponent<APIButtonComponent>[];
}

/**
 * One page of the member's jobs. `entries` are that page's ids with their records (undefined
 * when the store no longer has one); `page` is 0-based. Pure.
 */
export function renderJobsPage(entries: readonly { id: string; record: TaskRecord | undefined }[], page: number, total: number): JobsPage {
  if (total === 0) return { content: 'You have no jobs yet. Start one with `/vidu`.', components: [] };
  const pages = Math.ceil(total / JOBS_PER_PAGE);
  const lines = [`**Your recent jobs** · page ${page + 1} of ${pages} · ${total} in all`];
  entries.forEach(({ id, record }, i) => {
    const n = page * JOBS_PER_PAGE + i + 1;
    if (!record) {
      lines.push(`**${n}.** job \`${id}\` — no longer stored (jobs are kept 30 days)`);
      return;
    }
    const url = jobMessageUrl(record);
    lines.push(`**${n}.** ${jobStatus(record)} · “${escapeMarkdown(promptExcerpt(record.request.prompt))}”`);
    lines.push(`-# <t:${Math.floor(record.createdAt / 1000)}:R>${url ? ` · [message](${url})` : ''} · job \`${id}\``);
  });
  const components: JobsPage['components'] = [];
  if (pages > 1) {
    const turn = (label: string, to: number, disabled: boolean): APIButtonComponent => ({
      type: ComponentType.Button,
      style: ButtonStyle.Secondary,
      label,
      custom_id: customId('jobs', 'page', String(to)),
      disabled,
    });
    components.push({
      type: ComponentType.ActionRow,
      components: [turn('◀ Prev', Math.max(0, page - 1), page === 0), turn('Next ▶', Math.min(pages - 1, page + 1), page >= pages - 1)],
    });
  }
  return { content: lines.join('\n').slice(0, 2000), components };
}

/** The member's job ids, newest first (written by `startJob`). */
export async function memberJobIds(ctx: CommandContext, userId: string): Promise<string[]> {
  const ids = await ctx.store.meta.get<string[]>(memberJobsKey(userId));
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

/** Reads one page (two store reads: the index, then that page's records). */
async function loadPage(ctx: CommandContext, userId: string, requested: number): Promise<JobsPage> {
  const ids = await memberJobIds(ctx, userId);
  const pages = Math.max(1, Math.ceil(ids.length / JOBS_PER_PAGE));
  const page = Math.min(Math.max(0, requested), pages - 1);
  const slice = ids.slice(page * JOBS_PER_PAGE, (page + 1) * JOBS_PER_PAGE);
  const records = await ctx.store.getMany(slice);
  // The index is per member, but a record is shown only if it really is theirs.
  const entries = slice.map((id, i) => ({ id, record: records[i]?.owner.userId === userId ? records[i] : undefined }));
  return renderJobsPage(entries, page, ids.length);
}

export const viduJobs: Command = {
  data: new SlashCommandBuilder()
    .setName('vidu-jobs')
    .setDescription('Your recent /vidu jobs: status, prompt and a link to each result (only you see it)')
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall)
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel)
    .toJSON(),
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const page = await loadPage(ctx, interaction.user.id, 0);
    await interaction.editReply({ ...page, allowedMentions: { parse: [] } });
  },
};

/** Prev / Next on the `/vidu-jobs` list: `jobs:page:<n>`. */
export const jobsPages: ComponentRoute = {
  prefix: 'jobs',
  async button(interaction, ctx, [action, n]) {
    if (action !== 'page') return;
    // Two small reads before the update, inside Discord's 3 s.
    const page = await loadPage(ctx, interaction.user.id, Number.parseInt(n ?? '0', 10) || 0);
    await interaction.update({ ...page, allowedMentions: { parse: [] } });
  },
};
