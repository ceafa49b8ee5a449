import { DiscordAPIError, HTTPError, RESTJSONErrorCodes } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DiscordWriteError, classifyDiscordError, type DiscordFailureKind } from '../../src/discord/outbox.js';

const apiError = (code: number, status: number) =>
  new DiscordAPIError({ code, message: 'x' }, code, status, 'PATCH', 'https://discord.test/api/x', { body: undefined, files: undefined });

describe('classifyDiscordError', () => {
  it.each<[number, number, DiscordFailureKind]>([
    [RESTJSONErrorCodes.InvalidWebhookToken, 401, 'token_expired'],
    [RESTJSONErrorCodes.UnknownWebhook, 404, 'token_expired'],
    [RESTJSONErrorCodes.UnknownMessage, 404, 'unknown_message'],
    [RESTJSONErrorCodes.RequestEntityTooLarge, 400, 'too_large'],
    [RESTJSONErrorCodes.FileUploadedExceedsMaximumSize, 400, 'too_large'],
    [RESTJSONErrorCodes.MissingAccess, 403, 'no_access'],
    [RESTJSONErrorCodes.MissingPermissions, 403, 'no_access'],
    [RESTJSONErrorCodes.UnknownChannel, 404, 'no_access'],
    [RESTJSONErrorCodes.CannotSendMessagesToThisUser, 403, 'cannot_dm'],
    [RESTJSONErrorCodes.CannotSendMessagesToThisUserDueToHavingNoMutualGuilds, 403, 'cannot_dm'],
    [RESTJSONErrorCodes.MaximumNumberOfEditsToMessagesOlderThanOneHourReached, 400, 'edit_cap'],
    // Codes the table does not list fall back to the status.
    [RESTJSONErrorCodes.InvalidFormBodyOrContentType, 400, 'other'],
    [0, 413, 'too_large'],
    [0, 429, 'rate_limited'],
    [0, 502, 'transient'],
  ])('code %i with HTTP %i is %s', (code, status, kind) => {
    const err = classifyDiscordError(apiError(code, status));
    expect(err).toBeInstanceOf(DiscordWriteError);
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
  });

  it('a 413 is too large whatever JSON code rides along', () => {
    expect(classifyDiscordError(apiError(RESTJSONErrorCodes.MissingAccess, 413)).kind).toBe('too_large');
  });

  it('a bare HTTP error (no JSON body) is too large on 413, transient on 5xx, otherwise other (never rate limited)', () => {
    const http = (status: number) =>
      classifyDiscordError(new HTTPError(status, 'x', 'POST', 'https://discord.test/api/x', { body: undefined, files: undefined }));
    expect([413, 503, 429, 400].map((s) => http(s).kind)).toEqual(['too_large', 'transient', 'other', 'other']);
  });

  it('network failures are transient, and a DiscordWriteError passes through unchanged', () => {
    expect(classifyDiscordError(new TypeError('fetch failed')).kind).toBe('transient');
    const already = new DiscordWriteError('cannot_dm', 50007, 403);
    expect(classifyDiscordError(already)).toBe(already);
  });
});
