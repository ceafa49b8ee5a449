import { openAsBlob } from 'node:fs';
import { DiscordAPIError, HTTPError, Routes, type REST } from 'discord.js';
import type { MessagePayload } from '../render/render.js';

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
  | 'no_access' // 50001 Missing Access, 50013 Missing Permissions
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

export function classifyDiscordError(err: unknown): DiscordWriteError {
  if (err instanceof DiscordWriteError) return err;
  if (err instanceof DiscordAPIError) {
    const code = Number(err.code);
    const kind: DiscordFailureKind =
      code === 50027 || code === 10015
        ? 'token_expired'
        : code === 10008
          ? 'unknown_message'
          : err.status === 413 || code === 40005 || code === 50045
            ? 'too_large'
            : code === 50001 || code === 50013
              ? 'no_access'
              : code === 50007 || code === 50278
                ? 'cannot_dm'
                : code === 30046
                  ? 'edit_cap'
                  : err.status === 429
                    ? 'rate_limited'
                    : err.status >= 500
                      ? 'transient'
                      : 'other';
    return new DiscordWriteError(kind, err.code, err.status, { cause: err });
  }
  if (err instanceof HTTPError) {
    return new DiscordWriteError(err.status === 413 ? 'too_large' : err.status >= 500 ? 'transient' : 'other', undefined, err.status, { cause: err });
  }
  if (err instanceof Error && err.name === 'RateLimitError') return new DiscordWriteError('rate_limited', undefined, 429, { cause: err });
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
      const blob = f.path !== undefined ? await openAsBlob(f.path, { type: f.contentType ?? 'application/octet-stream' }) : new Blob([new Uint8Array(f.data)], { type: f.contentType });
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
      return wrap<{ id: string; channel_id: string }>(
        withFiles(payload, files).then((o) => rest.patch(Routes.channelMessage(channelId, messageId), o)),
      );
    },
    /**
     * POST a new message. `nonce` + `enforce_nonce` make Discord return the earlier message instead
     * of creating a second one when the same job posts again within a few minutes.
     */
    createMessage(channelId: string, payload: MessagePayload, nonce: string, files?: OutFile[], replyTo?: string) {
      const body = {
        ...payload,
        nonce: nonce.slice(0, 25),
        enforce_nonce: true,
        ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
      };
      return wrap<{ id: string; channel_id: string }>(withFiles(body, files).then((o) => rest.post(Routes.channelMessages(channelId), o)));
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
