import { ButtonStyle, ComponentType, MessageFlags, type APIMessageTopLevelComponent, type APIComponentInContainer } from 'discord.js';
import { t, tn } from '../i18n/index.js';
import { codeText, escapeMarkdown, excerpt as cut } from './escape.js';
import type { Eta } from '../tasks/eta.js';
import { type FailureCode, type Outcome, type TaskRecord } from '../tasks/record.js';

/** A message body as Discord's REST API takes it (Components V2). Pure data. */
export interface MessagePayload {
  flags: number;
  components: APIMessageTopLevelComponent[];
  allowed_mentions: { parse: []; users?: string[] };
  /**
   * Files this payload references, by name; the bytes are added by delivery. `id` is the upload's
   * index as a string: the spec types attachment ids as snowflake strings (docs examples use a number).
   */
  attachments?: { id: string; filename: string; description?: string }[];
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

/** Cuts by code point, so an emoji is never split into half a surrogate pair (src/render/escape.ts). */
const excerpt = (text: string, max = PROMPT_EXCERPT_CHARS): string => cut(text, max);

const unix = (ms: number) => Math.floor(ms / 1000);

/** "viduq3-pro · text-to-video · 5 s · 720p · 16:9 · audio · seed 42", in `locale` (default en-US). */
export function describeSettings(request: TaskRecord['request'], locale = 'en-US'): string {
  const parts: string[] = [request.model, modeLabel(request.mode, locale), `${request.duration} s`, request.resolution];
  if (request.aspectRatio) parts.push(request.aspectRatio);
  else if (request.aspectRatioDropped) parts.push(t(locale, 'card.ratioFromImage'));
  parts.push(t(locale, request.audio ? 'card.audioOn' : 'card.silent'));
  if (request.audioType) parts.push(t(locale, 'card.audioType', { type: request.audioType }));
  if (request.offPeak) parts.push(t(locale, 'card.offPeak'));
  if (request.images.length > 0) parts.push(tn(locale, 'count.images', request.images.length));
  if (request.subjects.length > 0) parts.push(t(locale, 'card.subjects', { names: request.subjects.map((s) => escapeMarkdown(`@${s.name}`)).join(' ') }));
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

/** A story's finished card: every clip's prompt, numbered, in place of the one prompt. */
function storyPromptLines(story: NonNullable<TaskRecord['story']>): string {
  return story.prompts.map((p, i) => `${i + 1}. ${escapeMarkdown(p)}`).join('\n');
}

function header(record: TaskRecord): APIComponentInContainer[] {
  const locale = record.owner.locale;
  const story = record.story;
  const joined = story !== undefined && record.state !== 'running' && record.outcome?.kind === 'video' && story.index === story.total - 1;
  const out = [
    text(
      joined
        ? `🎞️ **${t(locale, 'story.title', { total: story.total })}**\n${storyPromptLines(story)}`
        : `**${escapeMarkdown(excerpt(record.request.prompt))}**`,
    ),
    text(`-# ${describeSettings(record.request, locale)} · ${t(locale, 'card.requestedBy', { user: `<@${record.owner.userId}>` })}`),
  ];
  if (record.quota) {
    const left = quotaLeft(record.quota, locale);
    out.push(text(`-# ${t(locale, 'card.weighs', { weight: record.quota.weight })}${left ? ` · ${left}` : ''}`));
  }
  for (const note of record.notes ?? []) out.push(text(`-# ℹ️ ${note}`));
  if (record.parent) {
    const target = record.parent.messageUrl ?? t(locale, 'card.parent.job', { id: record.parent.id });
    out.push(text(`-# ↩ ${t(locale, `card.parent.${record.parent.kind}`, { target })}`));
  }
  return out;
}

/** Button custom_ids: `job:<action>:<jobId>`; the handler reads everything else from the store. */
export const JOB_ACTIONS = ['reroll', 'edit', 'continue', 'details', 'delete', 'stop'] as const;
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

/** The ETA as the card says it (a Discord relative timestamp, or the off-peak latest time), in `locale`. */
export function etaText(eta: Eta, locale = 'en-US'): string {
  switch (eta.kind) {
    case 'usual':
      return t(locale, 'eta.usual', { took: formatDuration(eta.typicalMs, locale) });
    case 'expected':
      return t(locale, 'eta.expected', { at: `<t:${unix(eta.atMs)}:R>` });
    case 'latest':
      return t(locale, 'eta.latest', { at: `<t:${unix(eta.atMs)}:f>` });
  }
}

/**
 * The visible status line of a running task, in its owner's locale, with the ETA when one is
 * known (src/tasks/eta.ts); equal lines mean no edit is needed.
 */
export function progressLine(record: TaskRecord, eta?: Eta): string {
  const base = statusLine(record);
  const line = eta && base && record.state !== 'delivering' ? `${base} · ${etaText(eta, record.owner.locale)}` : base;
  // A story's card says which clip is being made ("clip 2 of 4").
  return record.story && line ? `🎞️ ${t(record.owner.locale, 'story.clipOf', { n: record.story.index + 1, total: record.story.total })} · ${line}` : line;
}

/**
 * Each finished clip of a story stays reachable: a link button per clip (while Vidu keeps the
 * file; link buttons take URLs up to 512 characters) and the job ids for `/vidu-show`.
 */
function storyClips(record: TaskRecord, lastUrl: string | undefined): APIComponentInContainer[] {
  const story = record.story!;
  const clips = [...story.clips, ...(lastUrl ? [{ jobId: record.id, url: lastUrl }] : [])];
  const locale = record.owner.locale;
  const ids = clips.map((c) => `\`${codeText(c.jobId)}\``).join(' · ');
  const out: APIComponentInContainer[] = [text(`-# ${t(locale, 'story.clips', { ids })}`)];
  const buttons = clips
    .map((c, i) => ({ url: c.url, label: t(locale, 'story.clip', { n: i + 1 }) }))
    .filter((b) => b.url.length <= 512)
    .map((b) => ({ type: ComponentType.Button as const, style: ButtonStyle.Link as const, label: b.label, url: b.url }));
  for (let i = 0; i < buttons.length; i += 5) out.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + 5) });
  return out;
}

/** Buttons of a story's final message: Retry of the failed clip, or Continue from the last; Details, Delete. */
function storyButtons(record: TaskRecord): APIComponentInContainer {
  const story = record.story!;
  const locale = record.owner.locale;
  const video = record.outcome?.kind === 'video';
  const job = (action: JobAction, label: string, style: ButtonStyle, emoji: string) => ({
    type: ComponentType.Button as const,
    style,
    label,
    emoji: { name: emoji },
    custom_id: `job:${action}:${record.id}`,
  });
  const buttons = [
    video
      ? job('continue', t(locale, 'button.continue'), ButtonStyle.Secondary, '⏭️')
      : {
          type: ComponentType.Button as const,
          style: ButtonStyle.Primary,
          label: t(locale, 'story.retry', { n: story.index + 1 }),
          emoji: { name: '🔁' },
          custom_id: `story:retry:${story.id}:${story.index}`,
        },
    job('details', t(locale, 'button.details'), ButtonStyle.Secondary, 'ℹ️'),
    job('delete', t(locale, 'button.delete'), ButtonStyle.Danger, '🗑️'),
  ];
  return { type: ComponentType.ActionRow, components: buttons } as APIComponentInContainer;
}

function statusLine(record: TaskRecord): string {
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
      if (!up || up.phase === 'queued') {
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

/** Message shown while a task is in flight; `eta` as {@link progressLine} takes it. */
export function renderProgress(record: TaskRecord, eta?: Eta): MessagePayload {
  const lines = [progressLine(record, eta)];
  if (record.reply.dmNotice) {
    lines.push(`-# ${t(record.owner.locale, 'progress.dmNotice')}`);
  }
  // Stop (issue 12): the requester (or a moderator) stops waiting; checked by the handler.
  const stop: APIComponentInContainer = {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: t(record.owner.locale, 'button.stop'),
        emoji: { name: '⏹️' },
        custom_id: `job:stop:${record.id}`,
      },
    ],
  };
  return payload([container(ACCENT.working, [...header(record), text(lines.join('\n')), stop])]);
}

/** The card of a job the member stopped: who stopped it, that it may still be billed, and where it can still be found. */
export function renderStopped(record: TaskRecord): MessagePayload {
  const locale = record.owner.locale;
  const by = record.stopped?.by ?? record.owner.userId;
  const body = [t(locale, 'stop.stopped', { user: `<@${by}>` }), `-# ${t(locale, 'stop.billed')}`];
  if (record.upstream) body.push(`-# ${t(locale, 'final.task', { taskId: record.upstream.taskId })}`);
  return payload([container(ACCENT.failed, [...header(record), text(body.join('\n'))])]);
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
  /** The attached file is a re-encode of the original (src/media/fit.ts), sizes in bytes. */
  compressed?: { fromBytes: number; toBytes: number };
}

/** Final message: the video (attached or linked) or the failure. */
export function renderFinal(record: TaskRecord, video?: VideoDelivery): MessagePayload {
  const outcome = record.outcome;
  if (!outcome) throw new Error(`renderFinal called on task ${record.id} without an outcome`);
  const locale = record.owner.locale;
  const took = formatDuration((outcome.kind === 'video' ? outcome.completedAt : record.updatedAt) - record.createdAt, locale);
  if (outcome.kind === 'failed') {
    const failure = failureText(outcome.code, locale);
    const story = record.story;
    const body = [
      story ? `❌ **${t(locale, 'story.clipFailed', { n: story.index + 1, total: story.total, title: failure.title })}**` : `❌ **${failure.title}**`,
    ];
    const detail = failureDetail(outcome, locale);
    if (detail) body.push(detail);
    body.push(`-# ${failure.hint}`);
    if (record.upstream) body.push(`-# ${t(locale, 'final.task', { taskId: record.upstream.taskId })}`);
    if (story) {
      body.push(`-# ${t(locale, 'story.stoppedHere', { n: story.index + 1 })}`);
    }
    const clips = story && story.clips.length > 0 ? storyClips(record, undefined) : [];
    return payload([container(ACCENT.failed, [...header(record), text(body.join('\n')), ...clips, story ? storyButtons(record) : jobButtons(record)])]);
  }
  const children = header(record);
  if (video?.fileName) {
    children.push({
      type: ComponentType.MediaGallery,
      items: [{ media: { url: `attachment://${video.fileName}` }, description: excerpt(record.request.prompt, 1000) }],
    });
    children.push(text(`-# ${t(locale, 'final.doneIn', { took })}`));
    if (record.story) {
      children.push(...storyClips(record, outcome.url));
      if (video.compressed) {
        const params = { from: formatBytes(video.compressed.fromBytes), to: formatBytes(video.compressed.toBytes) };
        children.push(text(`-# ${t(locale, record.owner.guildId && !record.owner.userInstall ? 'fit.compressedServer' : 'fit.compressedHere', params)}`));
      }
      children.push(storyButtons(record));
      return payload([container(ACCENT.done, children)], [{ id: '0', filename: video.fileName, description: excerpt(record.request.prompt, 1000) }]);
    }
    if (video.compressed) children.push(...compressedNote(record, outcome, video.compressed));
    children.push(jobButtons(record));
    return payload([container(ACCENT.done, children)], [{ id: '0', filename: video.fileName, description: excerpt(record.request.prompt, 1000) }]);
  }
  const reason = video?.linkReason;
  const why =
    reason?.kind === 'too_large'
      ? t(locale, 'final.tooLarge', { size: formatBytes(reason.sizeBytes), limit: formatBytes(reason.limitBytes) })
      : t(locale, 'final.uploadFailed');
  if (record.story) {
    // The joined video exists only here: too large even re-encoded, each clip is still linked.
    children.push(text(t(locale, 'story.notAttached', { took, why })), ...storyClips(record, outcome.url));
    children.push(storyButtons(record));
    return payload([container(ACCENT.done, children)], []);
  }
  const expiry = outcome.expiresAt ? t(locale, 'final.linkExpiry', { time: `<t:${unix(outcome.expiresAt)}:f>` }) : '';
  // The upstream's URL, shown as a link that does not unfurl (and cannot carry markdown).
  children.push(text(`${t(locale, 'final.linked', { took, why, expiry })}\n${escapeMarkdown(outcome.url)}`));
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

/** "Compressed to fit … (23.4 MB → 9.8 MB)", and a button to the original while it lives. */
function compressedNote(
  record: TaskRecord,
  outcome: Extract<NonNullable<TaskRecord['outcome']>, { kind: 'video' }>,
  sizes: { fromBytes: number; toBytes: number },
): APIComponentInContainer[] {
  const locale = record.owner.locale;
  const params = { from: formatBytes(sizes.fromBytes), to: formatBytes(sizes.toBytes) };
  // In a server the bot posts in, the limit is the server's (boost tier); elsewhere it is the interaction's or a DM's.
  const what = t(locale, record.owner.guildId && !record.owner.userInstall ? 'fit.compressedServer' : 'fit.compressedHere', params);
  const until = outcome.expiresAt ? t(locale, 'fit.originalUntil', { time: `<t:${unix(outcome.expiresAt)}:f>` }) : '';
  const out: APIComponentInContainer[] = [text(`-# ${what}${until}`)];
  // Link buttons take URLs up to 512 characters.
  if (outcome.url.length <= 512) {
    out.push({
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.Button, style: ButtonStyle.Link, label: t(locale, 'button.original'), url: outcome.url }],
    });
  }
  return out;
}

/**
 * The line under a failure's title, in `locale`: its `reason` from the catalogs, else the stored
 * `detail` text (older records, request refusals); `undefined` when there is neither.
 */
export function failureDetail(outcome: Pick<Extract<Outcome, { kind: 'failed' }>, 'reason' | 'detail'>, locale: string): string | undefined {
  const reason = outcome.reason;
  if (!reason) return outcome.detail;
  switch (reason.code) {
    case 'last_frame_failed':
      return t(locale, 'failure.reason.last_frame_failed');
    case 'task_unknown':
      return t(locale, 'failure.reason.task_unknown', { taskId: reason.taskId });
    case 'video_download_failed':
      return t(locale, 'failure.reason.video_download_failed', { taskId: reason.taskId });
    case 'upstream_said':
      // The upstream's own words: shown through the one escape (src/render/escape.ts).
      return t(locale, 'failure.upstreamSaid', { said: escapeMarkdown(reason.said) });
    case 'library_image_missing':
      return t(locale, 'subjects.imageMissing', { name: reason.name });
    case 'library_image_foreign':
      return t(locale, 'auth.libraryNotYours');
    case 'story_join_failed':
      return t(locale, 'failure.reason.story_join_failed');
  }
}

/** One-off ephemeral refusal (no Components V2: it is sent as the first response). */
export function renderRefusal(message: string): { content: string; flags: number; allowedMentions: { parse: [] } } {
  // discord.js reads `allowedMentions` (camelCase) from reply options; `allowed_mentions` would be dropped.
  return { content: excerpt(`⚠️ ${message}`, 2000), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } };
}
