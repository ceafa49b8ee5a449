import {
  ButtonStyle,
  ComponentType,
  MessageFlags,
  type APIMessageTopLevelComponent,
  type APIComponentInContainer,
} from 'discord.js';
import type { FailureCode, TaskRecord } from '../tasks/record.js';

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

const MODE_LABEL: Record<TaskRecord['request']['mode'], string> = {
  'text-to-video': 'text-to-video',
  'image-to-video': 'image-to-video',
  'first-last-frame': 'first & last frame',
  'reference-to-video': 'multi-reference',
};

const FAILURE_TEXT: Record<FailureCode, { title: string; hint: string }> = {
  invalid_input: { title: 'This request can’t be used', hint: 'Change what is described above and run `/vidu` again.' },
  bad_request: { title: 'Vidu rejected the request', hint: 'Change the options named above and run `/vidu` again.' },
  misconfigured: {
    title: 'The bot is not set up correctly',
    hint: 'A server admin needs to check the bot’s toapis API key. You were not charged.',
  },
  out_of_credits: {
    title: 'The video service is out of credits',
    hint: 'A server admin needs to top up the toapis account. You were not charged.',
  },
  content_refused: {
    title: 'Vidu refused this content',
    hint: 'Rephrase the prompt or use other images, then try again.',
  },
  upstream_unavailable: {
    title: 'The video service is unavailable right now',
    hint: 'It kept failing after several retries. Please try again in a few minutes.',
  },
  generation_failed: { title: 'Vidu could not generate this video', hint: 'Try again, or adjust the prompt or images.' },
  timed_out: {
    title: 'Timed out waiting for Vidu',
    hint: 'The video did not finish in time. Try again later, or a shorter duration.',
  },
  images_unavailable: {
    title: 'Your images could not be read',
    hint: 'Discord’s attachment link expired or failed. Attach the images again with a new `/vidu`.',
  },
  video_unavailable: {
    title: 'The finished video could not be fetched',
    hint: 'Vidu finished the video but its file could not be downloaded. Try `/vidu` again.',
  },
};

/** Cuts by code point, so an emoji is never split into half a surrogate pair. */
function excerpt(text: string, max = PROMPT_EXCERPT_CHARS): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Escapes Discord markdown so a prompt shows as written. */
function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_~`|>#\[\]()-])/g, '\\$1').replace(/@/g, '@\u200b');
}

const unix = (ms: number) => Math.floor(ms / 1000);

/** "viduq3-pro · text-to-video · 5 s · 720p · 16:9 · audio · seed 42" */
export function describeSettings(request: TaskRecord['request']): string {
  const parts: string[] = [request.model, MODE_LABEL[request.mode], `${request.duration} s`, request.resolution];
  if (request.aspectRatio) parts.push(request.aspectRatio);
  else if (request.aspectRatioDropped) parts.push('ratio from image');
  parts.push(request.audio ? 'audio on' : 'silent');
  if (request.images.length > 0) parts.push(`${request.images.length} image${request.images.length === 1 ? '' : 's'}`);
  if (request.subjects.length > 0) parts.push(`subjects ${request.subjects.map((s) => `@${s.name}`).join(' ')}`);
  parts.push(`seed ${request.seed}`);
  return parts.join(' · ');
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
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

const PARENT_LABEL = { reroll: 'Re-roll of', edit: 'Edited from', continue: 'Continues', animate: 'Animated from' } as const;

function header(record: TaskRecord): APIComponentInContainer[] {
  const out = [
    text(`**${escapeMarkdown(excerpt(record.request.prompt))}**`),
    text(`-# ${describeSettings(record.request)} · requested by <@${record.owner.userId}>`),
  ];
  if (record.quota) {
    const q = record.quota;
    const left = [q.memberLeft !== undefined ? `you have ${q.memberLeft}` : '', q.serverLeft !== undefined ? `the server has ${q.serverLeft}` : '']
      .filter(Boolean)
      .join(', ');
    out.push(text(`-# Weighs ${q.weight} video-seconds${left ? ` · ${left} left today` : ''}`));
  }
  if (record.parent) {
    const target = record.parent.messageUrl ?? `job \`${record.parent.id}\``;
    out.push(text(`-# ↩ ${PARENT_LABEL[record.parent.kind]} ${target}`));
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
  const buttons = [
    button('reroll', video ? 'Re-roll' : 'Try again', ButtonStyle.Primary, '🎲'),
    button('edit', 'Edit & re-run', ButtonStyle.Secondary, '✏️'),
    ...(video ? [button('continue', 'Continue', ButtonStyle.Secondary, '⏭️')] : []),
    button('details', 'Details', ButtonStyle.Secondary, 'ℹ️'),
    button('delete', 'Delete', ButtonStyle.Danger, '🗑️'),
  ];
  return { type: ComponentType.ActionRow, components: buttons } as APIComponentInContainer;
}

/** The visible status line of a running task; equal lines mean no edit is needed. */
export function progressLine(record: TaskRecord): string {
  const started = `<t:${unix(record.createdAt)}:R>`;
  switch (record.state) {
    case 'accepted':
      return record.request.images.length > 0
        ? `⏳ Preparing ${record.request.images.length} image${record.request.images.length === 1 ? '' : 's'}… · started ${started}`
        : `⏳ Submitting… · started ${started}`;
    case 'submitting':
      return `⏳ Submitting to Vidu… · started ${started}`;
    case 'running': {
      const up = record.upstream;
      if (!up || up.status === 'queued' || up.status === 'submitted' || up.status === 'pending') {
        return `🕒 Queued at Vidu · started ${started}`;
      }
      return `🎬 Generating${up.progress > 0 ? ` · ${Math.round(up.progress)}%` : '…'} · started ${started}`;
    }
    case 'delivering':
      return record.outcome?.kind === 'video' ? `📦 Finishing · uploading the video…` : `⚠️ Finishing…`;
    case 'done':
      return '';
  }
}

/** Message shown while a task is in flight. */
export function renderProgress(record: TaskRecord): MessagePayload {
  const lines = [progressLine(record)];
  if (record.reply.dmNotice) {
    lines.push('-# This is taking longer than Discord lets me edit this reply — I’ll send the result to you by DM.');
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
  const took = formatDuration((outcome.kind === 'video' ? outcome.completedAt : record.updatedAt) - record.createdAt);
  if (outcome.kind === 'failed') {
    const t = FAILURE_TEXT[outcome.code];
    const body = [`❌ **${t.title}**`];
    if (outcome.detail) body.push(outcome.detail);
    body.push(`-# ${t.hint}`);
    if (record.upstream) body.push(`-# Task \`${record.upstream.taskId}\``);
    return payload([container(ACCENT.failed, [...header(record), text(body.join('\n')), jobButtons(record)])]);
  }
  const children = header(record);
  if (video?.fileName) {
    children.push({
      type: ComponentType.MediaGallery,
      items: [{ media: { url: `attachment://${video.fileName}` }, description: excerpt(record.request.prompt, 1000) }],
    });
    children.push(text(`-# ✅ Done in ${took}`));
    children.push(jobButtons(record));
    return payload(
      [container(ACCENT.done, children)],
      [{ id: 0, filename: video.fileName, description: excerpt(record.request.prompt, 1000) }],
    );
  }
  const reason = video?.linkReason;
  const why =
    reason?.kind === 'too_large'
      ? `The video is ${formatBytes(reason.sizeBytes)}, over the ${formatBytes(reason.limitBytes)} upload limit here, so it is linked instead of attached.`
      : 'The video could not be uploaded to Discord, so it is linked instead.';
  const expiry = outcome.expiresAt ? ` The link works until <t:${unix(outcome.expiresAt)}:f>.` : '';
  children.push(text(`✅ Done in ${took}. ${why}${expiry}\n${outcome.url}`));
  // Link buttons take URLs up to 512 characters.
  if (outcome.url.length <= 512) {
    children.push({
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.Button, style: ButtonStyle.Link, label: 'Open video', url: outcome.url }],
    });
  }
  children.push(jobButtons(record));
  return payload([container(ACCENT.done, children)], []);
}

/** One-off ephemeral refusal (no Components V2: it is sent as the first response). */
export function renderRefusal(message: string): { content: string; flags: number; allowed_mentions: { parse: [] } } {
  return { content: excerpt(`⚠️ ${message}`, 2000), flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } };
}
