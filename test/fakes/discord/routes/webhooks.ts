/**
 * Interaction webhooks (`/webhooks/:app/:token…`): the `@original` response and followups, valid
 * while the interaction token lives (15 min), on messages that token created or acted on.
 * https://discord.com/developers/docs/interactions/receiving-and-responding#followup-messages
 */
import { InteractionResponseType as Callback } from 'discord-api-types/v10';
import { errors, type Reply } from '../errors.js';
import { route, type RouteContext, type RouteDef } from '../http.js';
import { createMessage, editMessage } from '../messages.js';
import { CREATE_FLAGS } from '../payloads.js';
import type { DiscordState } from '../state.js';
import type { FakeInteraction, FakeMessage } from '../types.js';
import { asEnum, asRecord } from '../util.js';
import { toWireMessage } from '../wire.js';

export function webhookRoutes(s: DiscordState): RouteDef[] {
  const bucket: RouteDef['bucket'] = (ctx) => ({ kind: 'interactionWebhook', key: ctx.params.token ?? '' });
  return [
    route('GET', '/webhooks/:app/:token/messages/:message', 'none', (ctx) => getWebhookMessage(s, ctx), bucket),
    route('PATCH', '/webhooks/:app/:token/messages/:message', 'none', (ctx) => editWebhookMessage(s, ctx), bucket),
    route('DELETE', '/webhooks/:app/:token/messages/:message', 'none', (ctx) => deleteWebhookMessage(s, ctx), bucket),
    route('POST', '/webhooks/:app/:token', 'none', (ctx) => createFollowup(s, ctx), bucket),
  ];
}

function webhookInteraction(s: DiscordState, ctx: RouteContext): FakeInteraction {
  if (ctx.params.app !== s.applicationId) errors.unknownWebhook();
  const interaction = s.interactionsByToken.get(ctx.params.token ?? '');
  if (!interaction || s.now() > interaction.expiresAtMs) errors.invalidWebhookToken();
  return interaction as FakeInteraction;
}

function webhookTarget(s: DiscordState, ctx: RouteContext, it: FakeInteraction): FakeMessage {
  const ref = ctx.params.message ?? '';
  const id = ref === '@original' ? it.originalMessageId : ref;
  const owned = id !== null && (id === it.originalMessageId || id === it.sourceMessageId || it.followupMessageIds.includes(id));
  const message = owned && id ? s.messages.get(id) : undefined;
  if (!message || message.deleted) errors.unknownMessage();
  return message as FakeMessage;
}

function getWebhookMessage(s: DiscordState, ctx: RouteContext): Reply {
  const it = webhookInteraction(s, ctx);
  return { status: 200, body: toWireMessage(s, webhookTarget(s, ctx, it)) };
}

function editWebhookMessage(s: DiscordState, ctx: RouteContext): Reply {
  const it = webhookInteraction(s, ctx);
  const message = webhookTarget(s, ctx, it);
  editMessage(s, message, asRecord(ctx.body), ctx.files, it.attachmentSizeLimit);
  return { status: 200, body: toWireMessage(s, message) };
}

function deleteWebhookMessage(s: DiscordState, ctx: RouteContext): Reply {
  const it = webhookInteraction(s, ctx);
  const message = webhookTarget(s, ctx, it);
  message.deleted = true;
  message.deletedBy = 'bot';
  s.changed();
  return { status: 204 };
}

function createFollowup(s: DiscordState, ctx: RouteContext): Reply {
  const it = webhookInteraction(s, ctx);
  // Followups need a message-producing acknowledgement; after a modal (9) or autocomplete
  // result (8) there is no interaction message to follow up on.
  const ack = it.acknowledgedWith === null ? null : asEnum(Callback, it.acknowledgedWith);
  if (ack === null || ack === Callback.ApplicationCommandAutocompleteResult || ack === Callback.Modal) {
    errors.unknownWebhook();
  }
  const payload = asRecord(ctx.body);
  const original = it.originalMessageId ? s.messages.get(it.originalMessageId) : undefined;
  // After a type-5 defer, the first followup edits the loading message instead of creating one,
  // keeping its ephemeral state (documented, deprecated behaviour: #create-followup-message).
  if (original && original.loading && !original.deleted) {
    editMessage(s, original, payload, ctx.files, it.attachmentSizeLimit);
    return { status: 200, body: toWireMessage(s, original) };
  }
  if (it.followupMessageIds.length >= s.followupLimit) errors.followupLimit();
  const flags = typeof payload.flags === 'number' ? payload.flags : 0;
  if ((flags & ~CREATE_FLAGS) !== 0) errors.invalidForm([[['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
  const message = createMessage(s, {
    channelId: it.channelId,
    guildId: it.guildId,
    source: 'followup',
    interaction: it,
    payload,
    files: ctx.files,
    sizeLimit: it.attachmentSizeLimit,
  });
  it.followupMessageIds.push(message.id);
  return { status: 200, body: toWireMessage(s, message) };
}
