import { openAsBlob } from 'node:fs';
import { DiscordAPIError, HTTPError, RESTJSONErrorCodes, RateLimitError, Routes, type REST } from 'discord.js';
import type { MessagePayload } from '../render/render.js';
import type { PingPayload } from '../render/ping.js';

/** The parts of a message the bot reads back. */
export interface PostedMessage {
  id: string;
  channel_id: string;
  attachments?: { filename: string }[];
}

/**
 * A file to attach: bytes in memory, or a file on disk that is streamed into the request (a
 * 50 MB video is then never held in memory).
 */
export type OutFile = { name: string; contentType?: string } & ({ data: Buffer; path?: never } | { path: string; data?: never });

/**
 * Why a Discord write failed, as the delivery logic needs to branch on it.
 * Codes: https://discord.com/developers/docs/topics/opcodes-and-status-codes
 */
export type DiscordFailureKind =
  | 'token_expired' // 50027 Invalid Webhook Token, 10015 Unknown Webhook
  | 'unknown_message' // 10008: the reply was deleted
  | 'too_large' // 413, 40005, 50045
  | 'no_access' // 50001 Missing Access, 50013 Missing Permissions, 10003 Unknown Channel
  | 'cannot_dm' // 50007, 50278
  | 'edit_cap' // 30046: too many edits of a message older than 1 h
  | 'rate_limited'
  | 'transient' // 5xx, network
  | 'other';

export class DiscordWriteError extends Error {
  override name = 'DiscordWriteError';
  constructor(
    readonly kind: DiscordFailureKind,
    readonly code: number | string | undefined,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`Discord write failed: ${kind}${code !== undefined ? ` (code ${code})` : ''}${status ? ` HTTP ${status}` : ''}`, options);
  }
}

/** What each Discord JSON error code means for delivery; codes not listed fall back to the HTTP status. */
const KIND_BY_CODE: Partial<Record<RESTJSONErrorCodes, DiscordFailureKind>> = {
  [RESTJSONErrorCodes.InvalidWebhookToken]: 'token_expired',
  [RESTJSONErrorCodes.UnknownWebhook]: 'token_expired',
  [RESTJSONErrorCodes.UnknownMessage]: 'unknown_message',
  [RESTJSONErrorCodes.RequestEntityTooLarge]: 'too_large',
  [RESTJSONErrorCodes.FileUploadedExceedsMaximumSize]: 'too_large',
  [RESTJSONErrorCodes.MissingAccess]: 'no_access',
  [RESTJSONErrorCodes.MissingPermissions]: 'no_access',
  // A channel deleted since, or one the bot cannot post in by itself (a DM it is not part of,
  // reached through a user install): like no access, the member is reached by DM instead.
  [RESTJSONErrorCodes.UnknownChannel]: 'no_access',
  [RESTJSONErrorCodes.CannotSendMessagesToThisUser]: 'cannot_dm',
  [RESTJSONErrorCodes.CannotSendMessagesToThisUserDueToHavingNoMutualGuilds]: 'cannot_dm',
  [RESTJSONErrorCodes.MaximumNumberOfEditsToMessagesOlderThanOneHourReached]: 'edit_cap',
};

/** The kind of a failure Discord answered with HTTP `status` and no listed JSON code. */
function kindOfStatus(status: number): DiscordFailureKind {
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'transient';
  return 'other';
}

/** Maps anything a Discord request threw to a {@link DiscordWriteError} the delivery branches on. */
export function classifyDiscordError(err: unknown): DiscordWriteError {
  if (err instanceof DiscordWriteError) return err;
  if (err instanceof DiscordAPIError) {
    // A 413 is "too large" whatever code rides along; otherwise the JSON code decides first.
    // Discord's codes are an open set: the table answers for the ones it names, undefined otherwise.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    const byCode = err.status === 413 ? 'too_large' : KIND_BY_CODE[Number(err.code) as RESTJSONErrorCodes];
    return new DiscordWriteError(byCode ?? kindOfStatus(err.status), err.code, err.status, { cause: err });
  }
  if (err instanceof HTTPError) {
    // A bare HTTP error (no JSON body) is never a rate limit: @discordjs/rest handles those itself.
    const kind = err.status === 429 ? 'other' : kindOfStatus(err.status);
    return new DiscordWriteError(kind, undefined, err.status, { cause: err });
  }
  if (err instanceof RateLimitError) return new DiscordWriteError('rate_limited', undefined, 429, { cause: err });
  // Network errors, timeouts (AbortError) and anything undici throws.
  return new DiscordWriteError('transient', undefined, undefined, { cause: err });
}

/**
 * Every message write the bot makes after the first response, through one REST client.
 * Interaction-webhook routes carry no bot token (Discord authenticates them by the path).
 */
export function createOutbox(
  rest: REST,
  applicationId: () => string,
  hooks: {
    onError?(err: DiscordWriteError): void;
    /** REST for interaction-webhook routes, which Discord exempts from the 50/s global limit. Default `rest`. */
    webhookRest?: REST;
  } = {},
) {
  const webhookRest = hooks.webhookRest ?? rest;
  const wrap = async <T>(p: Promise<unknown>): Promise<T> => {
    try {
      return (await p) as T;
    } catch (err) {
      const failure = classifyDiscordError(err);
      hooks.onError?.(failure);
      throw failure;
    }
  };
  /**
   * Request options carrying `body` and `files`. Files on disk go as a multipart body built
   * here (`payload_json` + `files[n]` backed by `fs.openAsBlob`), passed through untouched;
   * @discordjs/rest would otherwise copy every file into memory.
   */
  const withFiles = async (body: object, files?: OutFile[]) => {
    if (!files || files.length === 0) return { body };
    if (files.every((f) => f.data !== undefined)) {
      return { body, files: files.map((f) => ({ name: f.name, data: f.data, contentType: f.contentType })) };
    }
    const form = new FormData();
    form.append('payload_json', JSON.stringify(body));
    for (const [i, f] of files.entries()) {
      const blob =
        f.path !== undefined
          ? await openAsBlob(f.path, { type: f.contentType ?? 'application/octet-stream' })
          : new Blob([new Uint8Array(f.data)], { type: f.contentType });
      form.append(`files[${i}]`, blob, f.name);
    }
    return { body: form, passThroughBody: true as const };
  };

  return {
    /** PATCH the interaction's original response (valid while the token lives). */
    editOriginal(token: string, payload: MessagePayload, files?: OutFile[]) {
      return wrap<{ id: string; channel_id: string }>(
        withFiles(payload, files).then((o) => webhookRest.patch(Routes.webhookMessage(applicationId(), token, '@original'), { ...o, auth: false })),
      );
    },
    /** PATCH one of the bot's own messages through the channel endpoint (bot token). */
    editChannelMessage(channelId: string, messageId: string, payload: MessagePayload, files?: OutFile[]) {
      return wrap<{ id: string; channel_id: string }>(withFiles(payload, files).then((o) => rest.patch(Routes.channelMessage(channelId, messageId), o)));
    },
    /**
     * POST a new message. `nonce` + `enforce_nonce` make Discord return the earlier message instead
     * of creating a second one when the same job posts again within a few minutes.
     */
    createMessage(channelId: string, payload: MessagePayload | PingPayload, nonce: string, files?: OutFile[], replyTo?: string) {
      const body = {
        ...payload,
        nonce: nonce.slice(0, 25),
        enforce_nonce: true,
        ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
      };
      return wrap<{ id: string; channel_id: string }>(withFiles(body, files).then((o) => rest.post(Routes.channelMessages(channelId), o)));
    },
    /** POST a followup message on the interaction (valid while the token lives). */
    createFollowup(token: string, payload: PingPayload) {
      return wrap<{ id: string; channel_id: string }>(webhookRest.post(Routes.webhook(applicationId(), token), { body: payload, auth: false }));
    },
    /** Opens (or finds) the DM channel with a user. */
    async openDm(userId: string): Promise<string> {
      const channel = await wrap<{ id: string }>(rest.post(Routes.userChannels(), { body: { recipient_id: userId } }));
      return channel.id;
    },
    /** Reads the interaction's original response (valid while the token lives). */
    getOriginal(token: string) {
      return wrap<PostedMessage>(webhookRest.get(Routes.webhookMessage(applicationId(), token, '@original'), { auth: false }));
    },
    /** Reads one of the bot's messages through the channel endpoint; proves the bot can see it. */
    fetchChannelMessage(channelId: string, messageId: string) {
      return wrap<PostedMessage>(rest.get(Routes.channelMessage(channelId, messageId)));
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
