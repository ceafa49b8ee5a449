/**
 * The message store: creating a message from a payload, applying an edit with Discord's
 * semantics, and importing messages from injected payloads. Every result is validated first.
 */
import { ApplicationCommandType, InteractionType, MessageFlags, MessageType } from 'discord-api-types/v10';
import { snowflake, snowflakeTimestampMs, type RawMessage } from '../interactions.js';
import { errors } from './errors.js';
import { EDIT_FLAGS, validateMessageState } from './payloads.js';
import type { DiscordState } from './state.js';
import type { FakeInteraction, FakeMessage, FakeStoredAttachment } from './types.js';
import { attachmentsFromUpload, type UploadedFile } from './uploads.js';
import { asArray, asEnum, asRecord } from './util.js';

/** The type Discord gives a message the bot creates: a command's response, a reply, or a default one. */
function messageType(it: FakeInteraction | null, reference: unknown): MessageType {
  if (!it) return reference ? MessageType.Reply : MessageType.Default;
  if (asEnum(InteractionType, it.type) !== InteractionType.ApplicationCommand) return MessageType.Default;
  const chatInput = it.commandType !== null && asEnum(ApplicationCommandType, it.commandType) === ApplicationCommandType.ChatInput;
  return chatInput ? MessageType.ChatInputCommand : MessageType.ContextMenuCommand;
}

export function createMessage(
  s: DiscordState,
  init: {
    channelId: string;
    guildId: string | null;
    source: FakeMessage['source'];
    interaction: FakeInteraction | null;
    payload: Record<string, unknown>;
    files: UploadedFile[];
    sizeLimit: number;
    loading?: boolean;
  },
): FakeMessage {
  const { payload } = init;
  const flags = typeof payload.flags === 'number' ? payload.flags : 0;
  const ephemeral = (flags & MessageFlags.Ephemeral) !== 0;
  const attachments = attachmentsFromUpload(s, init.files, asArray(payload.attachments), init.sizeLimit, init.channelId, ephemeral);
  const content = typeof payload.content === 'string' ? payload.content : '';
  const embeds = asArray(payload.embeds);
  const components = asArray(payload.components);
  validateMessageState({
    content,
    flags,
    embeds,
    components,
    attachments,
    poll: payload.poll,
    stickers: payload.sticker_ids,
    requireNonEmpty: !init.loading,
  });
  const it = init.interaction;
  const reference = payload.message_reference;
  const type = messageType(it, reference);
  const message: FakeMessage = {
    id: snowflake(),
    channelId: init.channelId,
    guildId: init.guildId,
    authorId: s.botUserId,
    source: init.source,
    interactionId: it?.id ?? null,
    type,
    content,
    flags,
    embeds,
    components,
    attachments,
    messageReference: reference ?? null,
    nonce: null,
    createdAtMs: s.now(),
    editedAtMs: null,
    editCount: 0,
    history: [],
    ephemeral,
    loading: init.loading ?? false,
    deleted: false,
    deletedBy: null,
  };
  s.messages.set(message.id, message);
  s.changed();
  return message;
}

/** Applies an edit payload with Discord's semantics, validating the resulting message. */
export function editMessage(s: DiscordState, message: FakeMessage, payload: Record<string, unknown>, files: UploadedFile[], sizeLimit: number): void {
  const newFlags = typeof payload.flags === 'number' ? payload.flags : null;
  if (newFlags !== null && (newFlags & ~EDIT_FLAGS) !== 0) {
    errors.invalidForm([[['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
  }
  const wasV2 = (message.flags & MessageFlags.IsComponentsV2) !== 0;
  if (wasV2 && newFlags !== null && (newFlags & MessageFlags.IsComponentsV2) === 0) {
    // Once set, IS_COMPONENTS_V2 cannot be removed (platform.md §6).
    errors.invalidForm([[['flags'], 'MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG', 'Cannot remove IS_COMPONENTS_V2 from a message']]);
  }
  // Flags that can change on edit; EPHEMERAL and LOADING are fixed by the server.
  const mutable = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2;
  let flags = message.flags & ~MessageFlags.Loading;
  if (newFlags !== null) flags = (flags & ~mutable) | (newFlags & mutable) | (wasV2 ? MessageFlags.IsComponentsV2 : 0);

  const payloadAttachments = Array.isArray(payload.attachments) ? payload.attachments : null;
  const newAttachments = attachmentsFromUpload(s, files, payloadAttachments ?? [], sizeLimit, message.channelId, message.ephemeral);
  let kept = message.attachments;
  if (payloadAttachments) {
    // `attachments` lists every file to keep; existing ones not listed are removed.
    const keepIds = new Set(payloadAttachments.map((a) => String(asRecord(a).id)));
    kept = message.attachments.filter((a) => keepIds.has(a.id));
  }
  const next = {
    content: 'content' in payload ? (typeof payload.content === 'string' ? payload.content : '') : message.content,
    embeds: 'embeds' in payload ? asArray(payload.embeds) : message.embeds,
    components: 'components' in payload ? asArray(payload.components) : message.components,
    attachments: [...kept, ...newAttachments],
    flags,
  };
  validateMessageState({ ...next, poll: payload.poll, stickers: payload.sticker_ids, requireNonEmpty: true });
  message.history.push({
    atMs: s.now(),
    content: message.content,
    flags: message.flags,
    embeds: message.embeds,
    components: message.components,
    attachmentIds: message.attachments.map((a) => a.id),
  });
  message.content = next.content;
  message.embeds = next.embeds;
  message.components = next.components;
  message.attachments = next.attachments;
  message.flags = next.flags;
  message.loading = false;
  message.editCount += 1;
  message.editedAtMs = s.now();
  s.changed();
}

/** Stores a message from an injected payload (button host, context-menu target). */
export function importMessage(s: DiscordState, raw: RawMessage): void {
  if (!raw?.id || s.messages.has(raw.id)) return;
  const flags = typeof raw.flags === 'number' ? raw.flags : 0;
  const author = asRecord(raw.author);
  if (typeof author.id === 'string') s.users.set(author.id, raw.author);
  const attachments = asArray(raw.attachments).map((rawAtt) => {
    const a = asRecord(rawAtt);
    const id = String(a.id);
    const known = s.cdn.get(id);
    if (known) return known;
    const filename = typeof a.filename === 'string' ? a.filename : 'file';
    const stored: FakeStoredAttachment = {
      id,
      filename,
      size: Number(a.size ?? 0),
      contentType: typeof a.content_type === 'string' ? a.content_type : null,
      bytes: Buffer.alloc(0),
      description: typeof a.description === 'string' ? a.description : null,
      title: null,
      durationSecs: typeof a.duration_secs === 'number' ? a.duration_secs : null,
      width: typeof a.width === 'number' ? a.width : null,
      height: typeof a.height === 'number' ? a.height : null,
      ephemeral: a.ephemeral === true,
      expired: false,
      cdnPath: `/attachments/${raw.channel_id}/${id}/${encodeURIComponent(filename)}`,
    };
    return stored;
  });
  s.messages.set(raw.id, {
    id: raw.id,
    channelId: raw.channel_id,
    guildId: typeof raw.guild_id === 'string' ? raw.guild_id : (s.channels.get(raw.channel_id)?.guildId ?? null),
    authorId: typeof author.id === 'string' ? author.id : '0',
    source: 'external',
    interactionId: null,
    type: typeof raw.type === 'number' ? raw.type : MessageType.Default,
    content: typeof raw.content === 'string' ? raw.content : '',
    flags,
    embeds: asArray(raw.embeds),
    components: asArray(raw.components),
    attachments,
    messageReference: raw.message_reference ?? null,
    nonce: null,
    createdAtMs: snowflakeTimestampMs(raw.id),
    editedAtMs: null,
    editCount: 0,
    history: [],
    ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
    loading: false,
    deleted: false,
    deletedBy: null,
  });
}
