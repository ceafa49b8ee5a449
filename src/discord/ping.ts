/**
 * Notifies the requester once when a result lands (issue 11). Edits notify no one, so the ping
 * is a new message that mentions the requester only, replying to (or linking) the result; the
 * video itself stays in exactly one message.
 *
 * Exactly once: `ping.state = 'sending'` is saved before the write and `'sent'` after. A retry
 * that finds `'sending'` re-posts with the same nonce + `enforce_nonce` (Discord answers with the
 * first message) while that nonce is fresh; an interaction followup has no nonce, so after an
 * unknown outcome it is given up rather than risk a second ping.
 */
import type { Logger } from '../log.js';
import { renderPing, type PingPayload } from '../render/ping.js';
import type { TaskRecord } from '../tasks/record.js';
import { DiscordWriteError } from './outbox.js';

/** How long Discord keeps a nonce for `enforce_nonce` ("a few minutes"); kept well inside, ms. */
export const NONCE_WINDOW_MS = 2 * 60_000;

/** The writes a ping needs (a subset of the outbox). */
export interface PingOutbox {
  createMessage(channelId: string, payload: PingPayload, nonce: string, files?: undefined, replyTo?: string): Promise<{ id: string; channel_id: string }>;
  createFollowup(token: string, payload: PingPayload): Promise<{ id: string; channel_id: string }>;
}

/** Dependencies of {@link createPinger}. */
export interface PingerOptions {
  outbox: PingOutbox;
  logger: Logger;
  /** Whether the member wants pings (their preference; default on). */
  wantsPings(userId: string): Promise<boolean>;
  /** Saves the record with `patch` applied and returns it. */
  save(record: TaskRecord, patch: Partial<TaskRecord>): Promise<TaskRecord>;
  now?: () => number;
}

/** Why no separate ping was sent (stored for lookup and logs). */
export type PingSkip = 'private' | 'not_posted' | 'dm' | 'result_pinged' | 'opted_out' | 'no_route' | 'unknown_after_crash' | 'failed';

/** The nonce of a job's ping (Discord keeps at most 25 characters). */
export const pingNonce = (jobId: string): string => `ping${jobId}`.slice(0, 25);

export function createPinger(options: PingerOptions) {
  const now = options.now ?? Date.now;
  const { outbox, logger, save } = options;

  const skip = (record: TaskRecord, reason: PingSkip) => {
    logger.debug({ task: record.id, reason }, 'no ping');
    return save(record, { ping: { state: 'skipped', at: now(), reason } });
  };

  /**
   * Sends the ping for a record whose result is posted (`record.delivered` set). Never throws:
   * a ping that cannot be sent is recorded as skipped; the job is still done.
   */
  async function ping(record: TaskRecord): Promise<TaskRecord> {
    if (record.ping && record.ping.state !== 'sending') return record;
    const delivered = record.delivered;
    if (record.reply.ephemeral) return skip(record, 'private');
    if (!delivered || delivered.via === 'none' || !delivered.messageId || !delivered.channelId) return skip(record, 'not_posted');
    // A DM notifies by itself; a new channel message already mentioned the requester.
    if (delivered.via === 'dm') return skip(record, 'dm');
    // A channel result that is not the reply was posted as a new message mentioning the requester: that was the ping.
    if (delivered.via === 'channel' && delivered.messageId !== record.reply.messageId) return skip(record, 'result_pinged');
    if (!(await options.wantsPings(record.owner.userId))) return skip(record, 'opted_out');

    const payload = renderPing(record, { channelId: delivered.channelId, messageId: delivered.messageId });
    const tokenLive = now() < record.reply.tokenUsableUntil;
    const earlier = record.ping;
    let via: 'channel' | 'followup';
    if (earlier?.state === 'sending') {
      // A crash (or a hung request) after the write may have posted it already.
      if (earlier.via !== 'channel' || now() - earlier.at > NONCE_WINDOW_MS) return skip(record, 'unknown_after_crash');
      via = 'channel';
    } else {
      // The bot's own channel message can reply to the result; a user install has no channel access.
      via = !record.owner.userInstall ? 'channel' : tokenLive ? 'followup' : 'channel';
      if (record.owner.userInstall && !tokenLive) return skip(record, 'no_route');
    }
    let rec = earlier?.state === 'sending' ? record : await save(record, { ping: { state: 'sending', at: now(), via } });
    try {
      let res: { id: string };
      try {
        res =
          via === 'channel'
            ? await outbox.createMessage(
                record.owner.channelId,
                payload,
                pingNonce(record.id),
                undefined,
                delivered.channelId === record.owner.channelId ? delivered.messageId : undefined,
              )
            : await outbox.createFollowup(record.reply.token, payload);
      } catch (err) {
        // No send permission in the channel: the interaction's followup still works while the token lives.
        if (via !== 'channel' || !(err instanceof DiscordWriteError) || err.kind !== 'no_access' || !tokenLive) throw err;
        via = 'followup';
        rec = await save(rec, { ping: { state: 'sending', at: now(), via } });
        res = await outbox.createFollowup(record.reply.token, payload);
      }
      logger.info({ task: record.id, via, message: res.id }, 'requester pinged');
      return await save(rec, { ping: { state: 'sent', at: now(), via, messageId: res.id } });
    } catch (err) {
      logger.warn({ task: record.id, via, kind: err instanceof DiscordWriteError ? err.kind : 'other' }, 'could not ping the requester');
      return skip(rec, 'failed');
    }
  }

  return { ping };
}

export type Pinger = ReturnType<typeof createPinger>;
