/**
 * Request-body validation against Discord's official OpenAPI spec (discord/discord-api-spec), via
 * the zod schemas the `discord-api-spec` package generates from it. The fake Discord runs every
 * JSON body (or multipart `payload_json`) the bot sends through the schema of its route, so a
 * payload real Discord would refuse with 50035 "Invalid Form Body" fails the test that sent it.
 */
import { InteractionResponseType } from 'discord-api-types/v10';
import * as spec from 'discord-api-spec/zod';
import * as z from 'zod/mini';

type Schema = z.core.$ZodType;

/** One problem, in Discord's `errors` shape: the body path and a code/message pair. */
export interface SpecProblem {
  path: (string | number)[];
  code: string;
  message: string;
}

const commandList = z.array(spec.ApplicationCommandUpdateRequestSchema);

/** Interaction callbacks: the spec's request schema for each `type`. */
const CALLBACK_SCHEMAS: ReadonlyMap<number, Schema> = new Map<number, Schema>([
  [InteractionResponseType.Pong, spec.PongInteractionCallbackRequestSchema],
  [InteractionResponseType.ChannelMessageWithSource, spec.CreateMessageInteractionCallbackRequestSchema],
  [InteractionResponseType.DeferredChannelMessageWithSource, spec.CreateMessageInteractionCallbackRequestSchema],
  [InteractionResponseType.DeferredMessageUpdate, spec.UpdateMessageInteractionCallbackRequestSchema],
  [InteractionResponseType.UpdateMessage, spec.UpdateMessageInteractionCallbackRequestSchema],
  [InteractionResponseType.ApplicationCommandAutocompleteResult, spec.ApplicationCommandAutocompleteCallbackRequestSchema],
  [InteractionResponseType.Modal, spec.ModalInteractionCallbackRequestSchema],
  [InteractionResponseType.LaunchActivity, spec.LaunchActivityInteractionCallbackRequestSchema],
]);

const callback: (body: unknown) => Schema | undefined = (body) => {
  const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
  return typeof type === 'number' ? CALLBACK_SCHEMAS.get(type) : undefined;
};

/**
 * Body schema per fake route (the fake's `METHOD /template` names). A route not listed takes no
 * body, or one the spec does not describe.
 */
const ROUTE_SCHEMAS: Readonly<Record<string, (body: unknown) => Schema | undefined>> = {
  'PUT /applications/:app/commands': () => commandList,
  'PUT /applications/:app/guilds/:guild/commands': () => commandList,
  'POST /interactions/:id/:token/callback': callback,
  'POST /webhooks/:app/:token': () => spec.IncomingWebhookRequestPartialSchema,
  'PATCH /webhooks/:app/:token/messages/:message': () => spec.IncomingWebhookUpdateRequestPartialSchema,
  'POST /users/@me/channels': () => spec.CreatePrivateChannelRequestSchema,
  'POST /channels/:channel/messages': () => spec.MessageCreateRequestSchema,
  'PATCH /channels/:channel/messages/:message': () => spec.MessageEditRequestPartialSchema,
};

/** Discord's form-error codes for the zod issue kinds (close enough for a test to name the field). */
function discordCode(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'BASE_TYPE_REQUIRED' : 'MODEL_TYPE_CONVERT';
    case 'too_big':
      return 'BASE_TYPE_MAX_LENGTH';
    case 'too_small':
      return 'BASE_TYPE_MIN_LENGTH';
    case 'invalid_value':
    case 'invalid_union':
      return 'BASE_TYPE_CHOICES';
    default:
      return 'BASE_TYPE_INVALID';
  }
}

const INT64_STRING = /^(0|[1-9][0-9]{0,18})$/;

/**
 * The spec types int64 fields (permission bitfields such as `default_member_permissions`) as
 * numbers, but Discord takes them as decimal strings too — and documents strings, since a
 * bitfield outgrows a double. A "wrong type" at such a field whose value is a decimal string is
 * therefore not a problem Discord would answer with 50035.
 */
function isInt64AsString(issue: z.core.$ZodIssue, body: unknown): boolean {
  if (issue.code !== 'invalid_type' || issue.expected !== 'number') return false;
  let value: unknown = body;
  for (const key of issue.path) {
    if (typeof value !== 'object' || value === null) return false;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return typeof value === 'string' && INT64_STRING.test(value);
}

/**
 * Checks `body` against the spec's schema for `route` (`METHOD /template`). Returns the problems
 * (empty when the body is valid or the route takes no described body).
 */
export function specProblems(route: string, body: unknown): SpecProblem[] {
  if (body === undefined) return [];
  const schema = ROUTE_SCHEMAS[route]?.(body);
  if (schema === undefined) {
    if (route === 'POST /interactions/:id/:token/callback') {
      return [{ path: ['type'], code: 'BASE_TYPE_CHOICES', message: 'Value must be one of the interaction callback types.' }];
    }
    return [];
  }
  const result = z.safeParse(schema, body);
  if (result.success) return [];
  return result.error.issues
    .filter((issue) => !isInt64AsString(issue, body))
    .map((issue) => ({
      path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
      code: discordCode(issue),
      message: issue.message,
    }));
}
