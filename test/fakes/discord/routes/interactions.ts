/**
 * `POST /interactions/:id/:token/callback`: the initial response, with Discord's rules (one per
 * interaction, inside the 3 s window, a type allowed for the interaction type, flag limits).
 * https://discord.com/developers/docs/interactions/receiving-and-responding#create-interaction-response
 */
import { ApplicationCommandType, InteractionResponseType as Callback, InteractionType, MessageFlags } from 'discord-api-types/v10';
import type { RawInteraction, RawMessage, RawUser } from '../../interactions.js';
import { DiscordFailure, errors, type FormErrorEntry, type Reply } from '../errors.js';
import { route, type RouteContext, type RouteDef } from '../http.js';
import { createMessage, editMessage, importMessage } from '../messages.js';
import { CREATE_FLAGS, validateModal } from '../payloads.js';
import type { DiscordState } from '../state.js';
import type { FakeCallback, FakeInteraction, FakeMessage } from '../types.js';
import type { UploadedFile } from '../uploads.js';
import { asArray, asEnum, asRecord, chars } from '../util.js';
import { toWireMessage } from '../wire.js';

export function interactionRoutes(s: DiscordState): RouteDef[] {
  return [route('POST', '/interactions/:id/:token/callback', 'none', (ctx) => handleCallback(s, ctx))];
}

function handleCallback(s: DiscordState, ctx: RouteContext): Reply {
  const interaction = s.interactions.get(ctx.params.id ?? '');
  if (!interaction || interaction.token !== ctx.params.token) errors.unknownInteraction();
  const it = interaction as FakeInteraction;
  const body = asRecord(ctx.body);
  const type = typeof body.type === 'number' ? body.type : null;
  const withResponse = ctx.query.get('with_response') === 'true';
  const record: FakeCallback = {
    atMs: s.now(),
    type,
    data: body.data,
    withResponse,
    files: ctx.call.files,
    status: 0,
    errorCode: null,
  };
  it.callbacks.push(record);
  try {
    const reply = acknowledge(s, it, type, asRecord(body.data), ctx.files, withResponse);
    record.status = reply.status;
    return reply;
  } catch (error) {
    if (error instanceof DiscordFailure) {
      record.status = error.reply.status;
      const code = asRecord(error.reply.body).code;
      record.errorCode = typeof code === 'number' ? code : null;
    }
    throw error;
  }
}

function acknowledge(
  s: DiscordState,
  it: FakeInteraction,
  type: number | null,
  data: Record<string, unknown>,
  files: UploadedFile[],
  withResponse: boolean,
): Reply {
  if (it.acknowledgedWith !== null) errors.alreadyAcknowledged();
  if (s.now() > it.callbackDeadlineMs || s.now() > it.expiresAtMs) errors.unknownInteraction();
  const fromComponent = it.sourceMessageId !== null;
  const allowed: Record<number, number[]> = {
    [InteractionType.ApplicationCommand]: [Callback.ChannelMessageWithSource, Callback.DeferredChannelMessageWithSource, Callback.Modal],
    [InteractionType.MessageComponent]: [
      Callback.ChannelMessageWithSource,
      Callback.DeferredChannelMessageWithSource,
      Callback.DeferredMessageUpdate,
      Callback.UpdateMessage,
      Callback.Modal,
    ],
    [InteractionType.ApplicationCommandAutocomplete]: [Callback.ApplicationCommandAutocompleteResult],
    [InteractionType.ModalSubmit]: fromComponent
      ? [Callback.ChannelMessageWithSource, Callback.DeferredChannelMessageWithSource, Callback.DeferredMessageUpdate, Callback.UpdateMessage]
      : [Callback.ChannelMessageWithSource, Callback.DeferredChannelMessageWithSource],
  };
  if (type === null || !(allowed[it.type] ?? []).includes(type)) {
    errors.invalidForm([
      [['type'], 'INTERACTION_CALLBACK_TYPE_INVALID', `Interaction callback type ${String(type)} is not valid for interaction type ${it.type}`],
    ]);
  }
  const flags = typeof data.flags === 'number' ? data.flags : 0;
  let message: FakeMessage | null = null;
  switch (type) {
    case Callback.ChannelMessageWithSource: {
      if ((flags & ~CREATE_FLAGS) !== 0) {
        errors.invalidForm([[['data', 'flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
      }
      message = createMessage(s, {
        channelId: it.channelId,
        guildId: it.guildId,
        source: 'callback',
        interaction: it,
        payload: data,
        files,
        sizeLimit: it.attachmentSizeLimit,
      });
      it.originalMessageId = message.id;
      break;
    }
    case Callback.DeferredChannelMessageWithSource: {
      // Deferring can set only EPHEMERAL (receiving-and-responding#interaction-callback-data-structure).
      if ((flags & ~MessageFlags.Ephemeral) !== 0) {
        errors.invalidForm([[['data', 'flags'], 'MESSAGE_FLAGS_INVALID', 'Only EPHEMERAL can be set when deferring']]);
      }
      message = createMessage(s, {
        channelId: it.channelId,
        guildId: it.guildId,
        source: 'callback',
        interaction: it,
        payload: { flags: (flags & MessageFlags.Ephemeral) | MessageFlags.Loading },
        files: [],
        sizeLimit: it.attachmentSizeLimit,
        loading: true,
      });
      it.originalMessageId = message.id;
      break;
    }
    case Callback.DeferredMessageUpdate:
    case Callback.UpdateMessage: {
      const source = it.sourceMessageId ? s.messages.get(it.sourceMessageId) : undefined;
      if (!source || source.deleted) errors.unknownMessage();
      const target = source as FakeMessage;
      if (type === Callback.UpdateMessage) editMessage(s, target, data, files, it.attachmentSizeLimit);
      it.originalMessageId = target.id;
      message = type === Callback.UpdateMessage ? target : null;
      break;
    }
    case Callback.ApplicationCommandAutocompleteResult: {
      const choices = asArray(data.choices);
      const errs: FormErrorEntry[] = [];
      if (choices.length > 25) errs.push([['data', 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
      choices.forEach((c, i) => {
        const choice = asRecord(c);
        if (chars(choice.name) < 1 || chars(choice.name) > 100) {
          errs.push([['data', 'choices', i, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
        }
        if (typeof choice.value === 'string' && chars(choice.value) > 100) {
          errs.push([['data', 'choices', i, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
        }
      });
      if (errs.length > 0) errors.invalidForm(errs);
      it.autocompleteChoices = choices;
      break;
    }
    case Callback.Modal: {
      validateModal(data);
      it.modal = data;
      break;
    }
  }
  it.acknowledgedWith = type;
  s.changed();
  if (!withResponse) return { status: 204 };
  const original = it.originalMessageId ? s.messages.get(it.originalMessageId) : undefined;
  const interactionPart: Record<string, unknown> = { id: it.id, type: it.type };
  if (original && (type === Callback.ChannelMessageWithSource || type === Callback.DeferredChannelMessageWithSource || type === Callback.UpdateMessage)) {
    interactionPart.response_message_id = original.id;
    interactionPart.response_message_loading = original.loading;
    interactionPart.response_message_ephemeral = original.ephemeral;
  }
  // The resource carries the message only for types 4 and 7 (docs: interaction callback resource object).
  const resource: Record<string, unknown> = { type };
  if (message && (type === Callback.ChannelMessageWithSource || type === Callback.UpdateMessage)) resource.message = toWireMessage(s, message);
  return { status: 200, body: { interaction: interactionPart, resource } };
}

function syncAppPermissions(s: DiscordState, raw: RawInteraction): void {
  const channelId = typeof raw.channel?.id === 'string' ? raw.channel.id : raw.channel_id;
  const channel = s.channels.get(channelId);
  if (!channel?.guildId || !s.guilds.get(channel.guildId)?.botMember) return;
  raw.app_permissions = s.appPermissions(channel.id).toString();
}

/**
 * Records an injected interaction (its user, the messages it carries, `app_permissions` as the
 * fake computes them); the token's callback window and lifetime start now.
 */
export function recordInteraction(s: DiscordState, raw: RawInteraction): FakeInteraction {
  syncAppPermissions(s, raw);
  const data = asRecord(raw.data);
  const user = raw.member ? (asRecord(raw.member).user as RawUser) : raw.user;
  if (user) s.users.set(user.id, user);
  if (raw.message) importMessage(s, raw.message);
  const resolvedMessages = asRecord(asRecord(data.resolved).messages);
  for (const message of Object.values(resolvedMessages)) importMessage(s, message as RawMessage);

  const injectedAtMs = s.now();
  const type = asEnum(InteractionType, raw.type);
  const isCommand = type === InteractionType.ApplicationCommand || type === InteractionType.ApplicationCommandAutocomplete;
  const interaction: FakeInteraction = {
    id: raw.id,
    token: raw.token,
    applicationId: raw.application_id,
    type: raw.type,
    commandType: isCommand ? Number(data.type ?? ApplicationCommandType.ChatInput) : null,
    commandName: typeof data.name === 'string' ? data.name : null,
    guildId: raw.guild_id ?? null,
    channelId: typeof raw.channel?.id === 'string' ? raw.channel.id : raw.channel_id,
    userId: user?.id ?? '0',
    injectedAtMs,
    expiresAtMs: injectedAtMs + s.tokenLifetimeMs,
    callbackDeadlineMs: injectedAtMs + s.callbackWindowMs,
    attachmentSizeLimit: raw.attachment_size_limit ?? s.attachmentSizeLimit,
    raw,
    acknowledgedWith: null,
    callbacks: [],
    originalMessageId: null,
    followupMessageIds: [],
    sourceMessageId: raw.message?.id ?? null,
    autocompleteChoices: null,
    modal: null,
  };
  s.interactions.set(interaction.id, interaction);
  s.interactionsByToken.set(interaction.token, interaction);
  return interaction;
}
