/**
 * Error replies, one helper per Discord error code, with Discord's status and JSON body
 * (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json). Handlers throw a
 * {@link DiscordFailure}; the request pipeline turns it into the reply.
 */
import { RESTJSONErrorCodes } from 'discord-api-types/v10';

/** What a route answers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown inside handlers; turned into the reply. */
export class DiscordFailure extends Error {
  constructor(readonly reply: Reply) {
    super(`Discord ${reply.status}`);
  }
}

export function fail(status: number, code: number, message: string, extra?: Record<string, unknown>): never {
  throw new DiscordFailure({ status, body: { message, code, ...extra } });
}

/** One entry of a 50035 body: the field path, Discord's error code and message. */
export type FormErrorEntry = [path: (string | number)[], code: string, message: string];

/** Nests entries into Discord's `errors` object (`{ field: { 0: { _errors: [...] } } }`). */
export function formErrors(entries: FormErrorEntry[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, code, message] of entries) {
    let node = root;
    for (const key of path) {
      const k = String(key);
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    const list = (node._errors ??= []) as unknown[];
    list.push({ code, message });
  }
  return root;
}

const E = RESTJSONErrorCodes;

export const errors = {
  unauthorized: (): never => fail(401, E.GeneralError, '401: Unauthorized'),
  unknownChannel: (): never => fail(404, E.UnknownChannel, 'Unknown Channel'),
  unknownMessage: (): never => fail(404, E.UnknownMessage, 'Unknown Message'),
  unknownUser: (): never => fail(404, E.UnknownUser, 'Unknown User'),
  unknownApplication: (): never => fail(404, E.UnknownApplication, 'Unknown Application'),
  unknownWebhook: (): never => fail(404, E.UnknownWebhook, 'Unknown Webhook'),
  unknownInteraction: (): never => fail(404, E.UnknownInteraction, 'Unknown interaction'),
  alreadyAcknowledged: (): never => fail(400, E.InteractionHasAlreadyBeenAcknowledged, 'Interaction has already been acknowledged.'),
  invalidWebhookToken: (): never => fail(401, E.InvalidWebhookToken, 'Invalid Webhook Token'),
  missingAccess: (): never => fail(403, E.MissingAccess, 'Missing Access'),
  missingPermissions: (): never => fail(403, E.MissingPermissions, 'Missing Permissions'),
  cannotDm: (): never => fail(403, E.CannotSendMessagesToThisUser, 'Cannot send messages to this user'),
  cannotEditOthers: (): never => fail(403, E.CannotEditMessageAuthoredByAnotherUser, 'Cannot edit a message authored by another user'),
  entityTooLarge: (): never => fail(413, E.RequestEntityTooLarge, 'Request entity too large'),
  tooManyAttachments: (): never => fail(400, E.MaximumNumberOfAttachmentsInAMessageReached, 'Maximum number of attachments in a message reached (10)'),
  followupLimit: (): never =>
    fail(400, E.ThisInteractionHasHitTheMaximumNumberOfFollowUpMessages, 'This interaction has hit the maximum number of follow up messages'),
  emptyMessage: (): never => fail(400, E.CannotSendAnEmptyMessage, 'Cannot send an empty message'),
  invalidJson: (): never => fail(400, E.RequestBodyContainsInvalidJSON, 'The request body contains invalid JSON.'),
  tooManyCommands: (): never => fail(400, E.MaximumNumberOfApplicationCommandsReached, 'Maximum number of application commands reached'),
  invalidForm: (entries: FormErrorEntry[]): never => fail(400, E.InvalidFormBodyOrContentType, 'Invalid Form Body', { errors: formErrors(entries) }),
};
