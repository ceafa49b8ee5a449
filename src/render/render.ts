import {
  ButtonStyle,
  ComponentType,
  MessageFlags,
  type APIMessageTopLevelComponent,
  type APIComponentInContainer,
} from 'discord.js';
import { t, tn } from '../i18n/index.js';
import { FAILURE_CODES, type FailureCode, type TaskRecord } from '../tasks/record.js';

/** A message body as Discord's REST API takes it (Components V2). Pure data. */
export interface MessagePayload {
  flags: number;
  components: APIMessageTopLevelComponent[];
  allowed_mentions: { parse: []; users?: string[] };
  /** Files this payload references, by name; the bytes are added by delivery. */
  attachments?: { id: number; filename: string; description?: string }[];
}

/** Longest prompt excerpt a message shows (Text Displays share ~4000 characters). */
export const PROMPT_EXCERPT_CHARS = 1_000;

const ACCENT = { working: 0x5865f2, done: 0x3ba55c, failed: 0xed4245 } as const;

/** How a mode reads on the card, in `locale`. */
export function modeLabel(mode: TaskRecord['request']['mode'], locale = 'en-US'): string {
  return t(locale, `mode.${mode}`);
}

/** Title and hint of a failure a member can see, in `locale` (a Discord locale; default en-US). */
export function failureText(code: FailureCode, locale = 'en-US'): { title: string; hint: string } {
  return { title: t(locale, `failure.${code}.title`), hint: t(locale, `failure.${code}.hint`) };
}

/** Title and hint of each failure, in English; {@link failureText} gives them in a member's locale. */
export const FAILURE_TEXT: Readonly<Record<FailureCode, { title: string; hint: string }>> = Object.fromEntries(
  FAILURE_CODES.map((code) => [code, failureText(code)]),
) as Record<FailureCode, { title: string; hint: string }>;

/** Cuts by code point, so an emoji is never split into half a surrogate pair. */
function excerpt(text: string, max = PROMPT_EXCERPT_CHARS): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Escapes Discord markdown so a prompt shows as written. */
function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>#[\]()-])/g, '\\$1').replace(/@/g, '@\u200b');
}

const unix = (ms: number) => Math.floor(ms / 1000);

/** "viduq3-pro · text-to-video · 5 s · 720p · 16:9 · audio · seed 42", in `locale` (default en-US). */
export function describeSettings(request: TaskRecord['request'], locale = 'en-US'): string {
  const parts: string[] = [request.model, modeLabel(request.mode, locale), `${request.duration} s`, request.resolution];
  if (request.aspectRatio) parts.push(request.aspectRatio);
  else if (request.aspectRatioDropped) parts.push(t(locale, 'card.ratioFromImage'));
  parts.push(t(locale, request.audio ? 'card.audioOn' : 'card.silent'));
  if (request.images.length > 0) parts.push(tn(locale, 'count.images', request.images.length));
  if (request.subjects.length > 0) parts.push(t(locale, 'card.subjects', { names: request.subjects.map((s) => `@${s.name}`).join(' ') }));
  parts.push(t(locale, 'card.seed', { seed: request.seed }));
  return parts.join(' · ');
}

function formatDuration(ms: number, locale: string): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? t(locale, 'time.minutesSeconds', { m, s: String(s % 60).padStart(2, '0') }) : t(locale, 'time.seconds', { s });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

function text(content: string): APIComponentInContainer {
  return { type: ComponentType.TextDisplay, content };
}

function container(accent: number, children: APIComponentInContainer[]): APIMessageTopLevelComponent {
  return { type: ComponentType.Container, accent_color: accent, components: children };
}

function payload(components: APIMessageTopLevelComponent[], attachments?: MessagePayload['attachments']): MessagePayload {
  return {
    flags: MessageFlags.IsComponentsV2,
    components,
    allowed_mentions: { parse: [] },
    ...(attachments ? { attachments } : {}),
  };
}

/** What is left of the daily limits, or undefined when no limit applies. */
function quotaLeft(quota: NonNullable<TaskRecord['quota']>, locale: string): string | undefined {
  const { memberLeft: member, serverLeft: server } = quota;
  if (member !== undefined && server !== undefined) return t(locale, 'card.leftBoth', { member, server });
  if (member !== undefined) return t(locale, 'card.leftMember', { member });
  if (server !== undefined) return t(locale, 'card.leftServer', { server });
  return undefined;
}

function header(record: TaskRecord): APIComponentInContainer[] {
  const locale = record.owner.locale;
  const out = [
    text(`**${escapeMarkdown(excerpt(record.request.prompt))}**`),
    text(`-# ${describeSettings(record.request, locale)} · ${t(locale, 'card.requestedBy', { user: `<@${record.owner.userId}>` })}`),
  ];
  if (record.quota) {
    const left = quotaLeft(record.quota, locale);
    out.push(text(`-# ${t(locale, 'card.weighs', { weight: record.quota.weight })}${left ? ` · ${left}` : ''}`));
  }
  if (record.parent) {
    const target = record.parent.messageUrl ?? t(locale, 'card.parent.job', { id: record.parent.id });
    out.push(text(`-# ↩ ${t(locale, `card.parent.${record.parent.kind}`, { target })}`));
  }
  return out;
}

/** Button custom_ids: `job:<action>:<jobId>`; the handler reads everything else from the store. */
export const JOB_ACTIONS = ['reroll', 'edit', 'continue', 'details', 'delete'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** Link to a posted message. */
export function messageUrl(guildId: string | null, channelId: string, messageId: string): string {
  return `https://discord.com/channels/${guildId ?? '@me'}/${channelId}/${messageId}`;
}

function jobButtons(record: TaskRecord): APIComponentInContainer {
  const button = (action: JobAction, label: string, style: ButtonStyle, emoji: string) => ({
    type: ComponentType.Button as const,
    style,
    label,
    emoji: { name: emoji },
    custom_id: `job:${action}:${record.id}`,
  });
  const video = record.outcome?.kind === 'video';
  const locale = record.owner.locale;
  const buttons = [
    button('reroll', t(locale, video ? 'button.reroll' : 'button.tryAgain'), ButtonStyle.Primary, '🎲'),
    button('edit', t(locale, 'button.edit'), ButtonStyle.Secondary, '✏️'),
    ...(video ? [button('continue', t(locale, 'button.continue'), ButtonStyle.Secondary, '⏭️')] : []),
    button('details', t(locale, 'button.details'), ButtonStyle.Secondary, 'ℹ️'),
    button('delete', t(locale, 'button.delete'), ButtonStyle.Danger, '🗑️'),
  ];
  return { type: ComponentType.ActionRow, components: buttons } as APIComponentInContainer;
}

/** The visible status line of a running task, in its owner's locale; equal lines mean no edit is needed. */
export function progressLine(record: TaskRecord): string {
  const locale = record.owner.locale;
  const started = `<t:${unix(record.createdAt)}:R>`;
  switch (record.state) {
    case 'accepted':
      return record.request.images.length > 0
        ? tn(locale, 'progress.preparing', record.request.images.length, { started })
        : t(locale, 'progress.submitting', { started });
    case 'submitting':
      return t(locale, 'progress.submittingToVidu', { started });
    case 'running': {
      const up = record.upstream;
      if (!up || up.status === 'queued' || up.status === 'submitted' || up.status === 'pending') {
        return t(locale, 'progress.queued', { started });
      }
      return up.progress > 0
        ? t(locale, 'progress.generating', { percent: Math.round(up.progress), started })
        : t(locale, 'progress.generatingNoPercent', { started });
    }
    case 'delivering':
      return t(locale, record.outcome?.kind === 'video' ? 'progress.uploading' : 'progress.finishing');
    case 'done':
      return '';
  }
}

/** Message shown while a task is in flight. */
export function renderProgress(record: TaskRecord): MessagePayload {
  const lines = [progressLine(record)];
  if (record.reply.dmNotice) {
    lines.push(`-# ${t(record.owner.locale, 'progress.dmNotice')}`);
  }
  return payload([container(ACCENT.working, [...header(record), text(lines.join('\n'))])]);
}

/** Note posted when the bot moves delivery to a DM before the interaction token dies. */
export function renderDmNotice(record: TaskRecord): MessagePayload {
  return renderProgress({ ...record, reply: { ...record.reply, dmNotice: true } });
}

export interface VideoDelivery {
  /** Attach the file with this name, or `undefined` to post a link. */
  fileName?: string;
  /** Why no file was attached (shown to the member). */
  linkReason?: { kind: 'too_large'; sizeBytes: number; limitBytes: number } | { kind: 'upload_failed' };
}

/** Final message: the video (attached or linked) or the failure. */
export function renderFinal(record: TaskRecord, video?: VideoDelivery): MessagePayload {
  const outcome = record.outcome;
  if (!outcome) throw new Error(`renderFinal called on task ${record.id} without an outcome`);
  const locale = record.owner.locale;
  const took = formatDuration((outcome.kind === 'video' ? outcome.completedAt : record.updatedAt) - record.createdAt, locale);
  if (outcome.kind === 'failed') {
    const failure = failureText(outcome.code, locale);
    const body = [`❌ **${failure.title}**`];
    // The detail is stored text (English, or the upstream's own words); see the TaskRecord outcome.
    if (outcome.detail) body.push(outcome.detail);
    body.push(`-# ${failure.hint}`);
    if (record.upstream) body.push(`-# ${t(locale, 'final.task', { taskId: record.upstream.taskId })}`);
    return payload([container(ACCENT.failed, [...header(record), text(body.join('\n')), jobButtons(record)])]);
  }
  const children = header(record);
  if (video?.fileName) {
    children.push({
      type: ComponentType.MediaGallery,
      items: [{ media: { url: `attachment://${video.fileName}` }, description: excerpt(record.request.prompt, 1000) }],
    });
    children.push(text(`-# ${t(locale, 'final.doneIn', { took })}`));
    children.push(jobButtons(record));
    return payload(
      [container(ACCENT.done, children)],
      [{ id: 0, filename: video.fileName, description: excerpt(record.request.prompt, 1000) }],
    );
  }
  const reason = video?.linkReason;
  const why =
    reason?.kind === 'too_large'
      ? t(locale, 'final.tooLarge', { size: formatBytes(reason.sizeBytes), limit: formatBytes(reason.limitBytes) })
      : t(locale, 'final.uploadFailed');
  const expiry = outcome.expiresAt ? t(locale, 'final.linkExpiry', { time: `<t:${unix(outcome.expiresAt)}:f>` }) : '';
  children.push(text(`${t(locale, 'final.linked', { took, why, expiry })}\n${outcome.url}`));
  // Link buttons take URLs up to 512 characters.
  if (outcome.url.length <= 512) {
    children.push({
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.Button, style: ButtonStyle.Link, label: t(locale, 'button.openVideo'), url: outcome.url }],
    });
  }
  children.push(jobButtons(record));
  return payload([container(ACCENT.done, children)], []);
}

/** One-off ephemeral refusal (no Components V2: it is sent as the first response). */
export function renderRefusal(message: string): { content: string; flags: number; allowed_mentions: { parse: [] } } {
  return { content: excerpt(`⚠️ ${message}`, 2000), flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } };
}
