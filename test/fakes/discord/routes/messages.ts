/**
 * Channel message routes (`/channels/:channel/messages…`): list, read, create (nonces, replies),
 * edit and delete, with the bot's channel permissions enforced. Ephemeral messages do not exist
 * here (platform.md §1).
 */
import { MessageFlags } from 'discord-api-types/v10';
import { errors, type Reply } from '../errors.js';
import { route, type RouteContext, type RouteDef } from '../http.js';
import { createMessage, editMessage } from '../messages.js';
import { CREATE_FLAGS } from '../payloads.js';
import type { ChannelState, DiscordState } from '../state.js';
import type { FakeMessage } from '../types.js';
import { asRecord } from '../util.js';
import { toWireMessage } from '../wire.js';
import { accessibleChannel } from './channels.js';

export function messageRoutes(s: DiscordState): RouteDef[] {
  const bucket: RouteDef['bucket'] = (ctx) => ({ kind: 'channel', key: ctx.params.channel ?? '' });
  return [
    route('GET', '/channels/:channel/messages', 'bot', (ctx) => listChannelMessages(s, ctx), bucket),
    route('POST', '/channels/:channel/messages', 'bot', (ctx) => createChannelMessage(s, ctx), bucket),
    route('GET', '/channels/:channel/messages/:message', 'bot', (ctx) => getChannelMessage(s, ctx), bucket),
    route('PATCH', '/channels/:channel/messages/:message', 'bot', (ctx) => editChannelMessage(s, ctx), bucket),
    route('DELETE', '/channels/:channel/messages/:message', 'bot', (ctx) => deleteChannelMessage(s, ctx), bucket),
  ];
}

function channelMessage(s: DiscordState, ctx: RouteContext, channel: ChannelState): FakeMessage {
  const message = s.messages.get(ctx.params.message ?? '');
  // Ephemeral messages do not exist for channel routes (platform.md §1).
  if (!message || message.channelId !== channel.id || message.deleted || message.ephemeral) errors.unknownMessage();
  return message as FakeMessage;
}

function listChannelMessages(s: DiscordState, ctx: RouteContext): Reply {
  const channel = accessibleChannel(s, ctx);
  if (!channel.access.readHistory) return { status: 200, body: [] };
  const limit = Math.min(100, Math.max(1, Number(ctx.query.get('limit') ?? 50)));
  const before = ctx.query.get('before');
  const after = ctx.query.get('after');
  let list = [...s.messages.values()].filter((m) => m.channelId === channel.id && !m.deleted && !m.ephemeral);
  if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
  if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after));
  list.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  return { status: 200, body: list.slice(0, limit).map((m) => toWireMessage(s, m)) };
}

function getChannelMessage(s: DiscordState, ctx: RouteContext): Reply {
  const channel = accessibleChannel(s, ctx);
  if (!channel.access.readHistory) errors.missingPermissions();
  return { status: 200, body: toWireMessage(s, channelMessage(s, ctx, channel)) };
}

function createChannelMessage(s: DiscordState, ctx: RouteContext): Reply {
  const channel = accessibleChannel(s, ctx);
  if (channel.recipientId && s.dmDenied.has(channel.recipientId)) errors.cannotDm();
  if (!channel.access.send) errors.missingPermissions();
  if (ctx.files.length > 0 && !channel.access.attach) errors.missingPermissions();
  const payload = asRecord(ctx.body);
  const nonce = typeof payload.nonce === 'string' || typeof payload.nonce === 'number' ? String(payload.nonce) : null;
  if (nonce && payload.enforce_nonce === true) {
    // enforce_nonce: a repeated nonce within a few minutes returns the first message.
    const seen = s.channelNonces.get(`${channel.id}:${nonce}`);
    const existing = seen && s.now() - seen.atMs < 5 * 60_000 ? s.messages.get(seen.messageId) : undefined;
    if (existing) return { status: 200, body: toWireMessage(s, existing) };
  }
  const flags = typeof payload.flags === 'number' ? payload.flags : 0;
  if ((flags & ~(CREATE_FLAGS & ~MessageFlags.Ephemeral)) !== 0) {
    errors.invalidForm([[['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
  }
  const reference = asRecord(payload.message_reference);
  if (typeof reference.message_id === 'string') {
    const target = s.messages.get(reference.message_id);
    const exists = target && !target.deleted && !target.ephemeral && target.channelId === channel.id;
    if (!exists && reference.fail_if_not_exists !== false) {
      errors.invalidForm([[['message_reference'], 'REPLIES_UNKNOWN_MESSAGE', 'Unknown message']]);
    }
  }
  const message = createMessage(s, {
    channelId: channel.id,
    guildId: channel.guildId,
    source: 'channel',
    interaction: null,
    payload,
    files: ctx.files,
    sizeLimit: s.channelSizeLimit(channel),
  });
  if (nonce) {
    message.nonce = nonce;
    s.channelNonces.set(`${channel.id}:${nonce}`, { messageId: message.id, atMs: s.now() });
  }
  return { status: 200, body: toWireMessage(s, message) };
}

function editChannelMessage(s: DiscordState, ctx: RouteContext): Reply {
  const channel = accessibleChannel(s, ctx);
  const message = channelMessage(s, ctx, channel);
  if (message.authorId !== s.botUserId) errors.cannotEditOthers();
  if (ctx.files.length > 0 && !channel.access.attach) errors.missingPermissions();
  editMessage(s, message, asRecord(ctx.body), ctx.files, s.channelSizeLimit(channel));
  return { status: 200, body: toWireMessage(s, message) };
}

function deleteChannelMessage(s: DiscordState, ctx: RouteContext): Reply {
  const channel = accessibleChannel(s, ctx);
  const message = channelMessage(s, ctx, channel);
  // Deleting others' messages needs MANAGE_MESSAGES, which the fake bot does not have.
  if (message.authorId !== s.botUserId) errors.missingPermissions();
  message.deleted = true;
  message.deletedBy = 'bot';
  s.changed();
  return { status: 204 };
}
