import { ButtonStyle, ComponentType, MessageFlags, SlashCommandBuilder, type APIActionRowComponent, type APIButtonComponent } from 'discord.js';
import { t } from '../src/i18n/index.js';
import { failureText, messageUrl } from '../src/render/render.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { absentIfCorrupt } from '../src/store/index.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, customId, type Command, type CommandContext, type ComponentRoute } from './types.js';
import { escapeMarkdown, excerpt } from '../src/render/escape.js';

/** Jobs shown per page of `/vidu-jobs`. */
export const JOBS_PER_PAGE = 5;
/** Longest prompt excerpt in a list line or an autocomplete choice, in characters. */
const EXCERPT_CHARS = 60;

/** Flattened, cut by code point, with an ellipsis when cut (plain text: escape before showing in markdown). */
export function promptExcerpt(prompt: string, max = EXCERPT_CHARS): string {
  return excerpt(prompt, max);
}

/**
 * queued / generating % / done / failed (with the failure's title), as a member reads it, in
 * `locale` (a Discord locale; default en-US). Always starts with its emoji.
 */
export function jobStatus(record: TaskRecord, locale = 'en-US'): string {
  if (record.deletedAt !== undefined) return t(locale, 'jobs.status.deleted');
  if (record.stopped) return t(locale, 'jobs.status.stopped');
  const failed = record.outcome?.kind === 'failed' ? t(locale, 'jobs.status.failed', { title: failureText(record.outcome.code, locale).title }) : undefined;
  switch (record.state) {
    case 'accepted':
      return t(locale, 'jobs.status.preparing');
    case 'submitting':
      return t(locale, 'jobs.status.submitting');
    case 'running': {
      const up = record.upstream;
      if (!up || up.phase === 'queued') return t(locale, 'jobs.status.queued');
      return up.progress > 0 ? t(locale, 'jobs.status.generatingPercent', { percent: Math.round(up.progress) }) : t(locale, 'jobs.status.generating');
    }
    case 'delivering':
      return failed ?? t(locale, 'jobs.status.finishing');
    case 'done':
      if (failed) return failed;
      return t(locale, record.delivered?.via === 'none' ? 'jobs.status.notPosted' : 'jobs.status.done');
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
 * One page of the member's jobs, in `locale` (a Discord locale; default en-US). `entries` are
 * that page's ids with their records (undefined when the store no longer has one); `page` is
 * 0-based. Pure.
 */
export function renderJobsPage(entries: readonly { id: string; record: TaskRecord | undefined }[], page: number, total: number, locale = 'en-US'): JobsPage {
  if (total === 0) return { content: t(locale, 'jobs.none'), components: [] };
  const pages = Math.ceil(total / JOBS_PER_PAGE);
  const lines = [t(locale, 'jobs.header', { page: page + 1, pages, total })];
  entries.forEach(({ id, record }, i) => {
    const n = page * JOBS_PER_PAGE + i + 1;
    if (!record) {
      lines.push(`**${n}.** ${t(locale, 'jobs.gone', { id })}`);
      return;
    }
    const url = jobMessageUrl(record);
    lines.push(`**${n}.** ${jobStatus(record, locale)} · “${escapeMarkdown(promptExcerpt(record.request.prompt))}”`);
    const link = url ? ` · ${t(locale, 'jobs.messageLink', { url })}` : '';
    lines.push(`-# <t:${Math.floor(record.createdAt / 1000)}:R>${link} · ${t(locale, 'card.parent.job', { id })}`);
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
      components: [
        turn(t(locale, 'jobs.prev'), Math.max(0, page - 1), page === 0),
        turn(t(locale, 'jobs.next'), Math.min(pages - 1, page + 1), page >= pages - 1),
      ],
    });
  }
  return { content: lines.join('\n').slice(0, 2000), components };
}

/** The member's job ids, newest first (written by `startJob`). */
export async function memberJobIds(ctx: CommandContext, userId: string): Promise<string[]> {
  return (await ctx.store.memberJobs.get(userId).catch(absentIfCorrupt)) ?? [];
}

/** Reads one page (two store reads: the index, then that page's records). */
async function loadPage(ctx: CommandContext, userId: string, requested: number, locale: string): Promise<JobsPage> {
  const ids = await memberJobIds(ctx, userId);
  const pages = Math.max(1, Math.ceil(ids.length / JOBS_PER_PAGE));
  const page = Math.min(Math.max(0, requested), pages - 1);
  const slice = ids.slice(page * JOBS_PER_PAGE, (page + 1) * JOBS_PER_PAGE);
  const records = await ctx.store.getMany(slice);
  // The index is per member, but a record is shown only if it really is theirs.
  const entries = slice.map((id, i) => ({ id, record: records[i]?.owner.userId === userId ? records[i] : undefined }));
  return renderJobsPage(entries, page, ids.length, locale);
}

export const viduJobs: Command = {
  data: new SlashCommandBuilder()
    .setName('vidu-jobs')
    .setDescription('Your recent /vidu jobs: status, prompt and a link to each result (only you see it)')
    .setIntegrationTypes(MEMBER_INTEGRATIONS)
    .setContexts(MEMBER_CONTEXTS)
    .toJSON(),
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const page = await loadPage(ctx, interaction.user.id, 0, interaction.locale);
    await interaction.editReply({ ...page, allowedMentions: { parse: [] } });
  },
};

/** Prev / Next on the `/vidu-jobs` list: `jobs:page:<n>`. */
export const jobsPages: ComponentRoute = {
  prefix: 'jobs',
  async button(interaction, ctx, [action, n]) {
    if (action !== 'page') return;
    // Two small reads before the update, inside Discord's 3 s.
    const page = await loadPage(ctx, interaction.user.id, Number.parseInt(n ?? '0', 10) || 0, interaction.locale);
    await interaction.update({ ...page, allowedMentions: { parse: [] } });
  },
};
