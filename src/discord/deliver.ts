/**
 * Everything the bot writes to Discord about a job after the first response: progress edits,
 * the hand-over off the 15-minute interaction token, and the final message with the video (or
 * the link to it, or the failure). The engine decides *when*; this module decides *where* and
 * *how*, following Discord's failures from one route to the next (webhook → channel → DM).
 */
import { UserFacingError } from '../errors.js';
import type { Logger } from '../log.js';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EncodeError, type Fitter } from '../media/fit.js';
import { createVideoStager, type StagedVideo, type VideoProducer } from '../media/stage.js';
import { renderDmNotice, renderFinal, renderProgress, renderStopped, progressLine, type MessagePayload, type VideoDelivery } from '../render/render.js';
import type { Eta } from '../tasks/eta.js';
import { fetchRefusalFailure } from '../tasks/fetch-failure.js';
import type { TaskRecord } from '../tasks/record.js';
import type { Schedule } from '../tasks/schedule.js';
import type { TaskRepository } from '../store/index.js';
import { isRetryableDownload } from '../upstream/download.js';
import { DiscordWriteError, type Outbox, type OutFile } from './outbox.js';
import { createPinger } from './ping.js';

/** Discord's default per-file upload limit, in bytes (10 MiB). */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

/** A video download is retried this many times before the job fails. */
const MAX_VIDEO_ATTEMPTS = 5;
/** Most route changes one final write follows (webhook → channel → new message → DM …). */
const MAX_ROUTE_HOPS = 5;

/** Fetches upstream files (images into memory, videos onto disk). */
export interface Downloader {
  bytes(url: string, options: { maxBytes: number; timeoutMs: number }): Promise<Buffer>;
  toFile(url: string, path: string, options: { maxBytes: number; timeoutMs: number }): Promise<{ bytes: number }>;
}

/** Where the final message landed (the record's `delivered`). */
export type Delivered = NonNullable<TaskRecord['delivered']>;

/** A final write: the record as it now stands (route changes are saved) and where it landed. */
export interface Written {
  record: TaskRecord;
  delivered: Delivered;
}

/** The final write followed {@link MAX_ROUTE_HOPS} route changes and still did not land. */
export class DeliveryRouteError extends Error {
  override name = 'DeliveryRouteError';
}

export interface DeliveryOptions {
  outbox: Outbox;
  /** Route changes are written through at once, so a restart resumes on the new route. */
  store: Pick<TaskRepository, 'put'>;
  logger: Logger;
  schedule: Pick<Schedule, 'tokenMarginMs' | 'minEditGapMs' | 'videoDownloadTimeoutMs'>;
  download: Pick<Downloader, 'toFile'>;
  /** Where finished videos are staged before upload. */
  tmpDir: string;
  /** Upload limit for messages the bot posts itself in a guild (from its boost tier), bytes. */
  guildUploadLimit(guildId: string | null): number;
  /** Re-encodes a video over the upload limit so it fits (src/media/fit.ts); shared by every job. */
  fitter: Fitter;
  /** Whether the member wants a ping when a result lands (their preference). Default: yes. */
  wantsPings?(userId: string): Promise<boolean>;
  /** When the video is expected, shown on the progress card (src/tasks/eta.ts). Default: not shown. */
  eta?(record: TaskRecord): Eta | undefined;
  now?: () => number;
}

/** Name of the attached mp4; also how a restarted process recognises its own upload. */
export function videoFileName(record: Pick<TaskRecord, 'id'>): string {
  return `vidu-${record.id}.mp4`;
}

/**
 * Builds the delivery. Every function takes the record as stored and returns it as it now
 * stands; none keeps job state in memory.
 */
export function createDelivery(options: DeliveryOptions) {
  const { outbox, store, logger, schedule } = options;
  const now = options.now ?? Date.now;

  const save = async (record: TaskRecord, patch: Partial<TaskRecord>): Promise<TaskRecord> => {
    const next = { ...record, ...patch, updatedAt: now() } as TaskRecord;
    await store.put(next);
    return next;
  };

  const stager = createVideoStager({
    download: (url, path, o) => options.download.toFile(url, path, o),
    fitter: options.fitter,
    tmpDir: options.tmpDir,
    logger,
    downloadTimeoutMs: schedule.videoDownloadTimeoutMs,
  });
  const pinger = createPinger({ outbox, logger, save, now, wantsPings: options.wantsPings ?? (() => Promise.resolve(true)) });

  const landed = (via: Delivered['via'], res: { id: string; channel_id: string }, files: OutFile[] | undefined): Delivered => ({
    via,
    channelId: res.channel_id,
    messageId: res.id,
    at: now(),
    attached: !!files?.length,
  });

  /**
   * Moves delivery off the interaction token before it dies: to the channel endpoint when the
   * bot can read its own reply there, otherwise to a DM (and says so while the token still works).
   */
  async function handoff(record: TaskRecord, opts: { notify: boolean }): Promise<TaskRecord> {
    let route: TaskRecord['reply']['route'] = 'dm';
    if (!record.reply.ephemeral && record.reply.messageId) {
      try {
        await outbox.fetchChannelMessage(record.owner.channelId, record.reply.messageId);
        route = 'channel';
      } catch (err) {
        const kind = err instanceof DiscordWriteError ? err.kind : 'other';
        // A deleted reply in a channel we can see: post a new message there later.
        if (kind === 'unknown_message') route = 'channel';
        logger.info({ task: record.id, kind }, 'channel not usable after token expiry');
      }
    }
    let dmNotice = record.reply.dmNotice;
    if (route === 'dm' && opts.notify && !dmNotice && now() < record.reply.tokenUsableUntil + schedule.tokenMarginMs) {
      try {
        await outbox.editOriginal(record.reply.token, renderDmNotice(record));
        dmNotice = true;
      } catch (err) {
        logger.info({ task: record.id, err }, 'could not post the DM notice');
      }
    }
    logger.info({ task: record.id, route }, 'interaction token retiring; delivery route chosen');
    return save(record, { reply: { ...record.reply, route, dmNotice } });
  }

  /** Hands over when the record still writes through an interaction token that has expired. */
  const offExpiredToken = (record: TaskRecord, notify: boolean): Promise<TaskRecord> | TaskRecord =>
    record.reply.route === 'webhook' && now() >= record.reply.tokenUsableUntil ? handoff(record, { notify }) : record;

  /** One write on the webhook or channel route (never DM: no progress edits there). */
  async function writeInPlace(record: TaskRecord, payload: MessagePayload, files: OutFile[] | undefined): Promise<Delivered> {
    if (record.reply.route === 'webhook') return landed('webhook', await outbox.editOriginal(record.reply.token, payload, files), files);
    const res = record.reply.messageId
      ? await outbox.editChannelMessage(record.owner.channelId, record.reply.messageId, payload, files)
      : await outbox.createMessage(
          record.owner.channelId,
          { ...payload, allowed_mentions: { parse: [], users: [record.owner.userId] } },
          `vidu${record.id}`,
          files,
        );
    return landed('channel', res, files);
  }

  /** Writes the final `payload` where the record's route says, following Discord's failures to the next route. */
  async function writeFinal(record: TaskRecord, payload: MessagePayload, files?: OutFile[]): Promise<Written> {
    let rec = record;
    for (let hop = 0; hop < MAX_ROUTE_HOPS; hop++) {
      const route = rec.reply.route;
      try {
        if (route === 'webhook' && now() >= rec.reply.tokenUsableUntil) {
          rec = await handoff(rec, { notify: false });
          continue;
        }
        if (route !== 'dm') return { record: rec, delivered: await writeInPlace(rec, payload, files) };
        const dm = await outbox.openDm(rec.owner.userId);
        const res = await outbox.createMessage(dm, payload, `vidu${rec.id}`, files);
        return { record: rec, delivered: landed('dm', res, files) };
      } catch (raw) {
        const err = raw instanceof DiscordWriteError ? raw : new DiscordWriteError('transient', undefined, undefined, { cause: raw });
        logger.info({ task: rec.id, route, kind: err.kind, code: err.code }, 'discord write failed');
        switch (err.kind) {
          case 'token_expired':
            rec = await handoff({ ...rec, reply: { ...rec.reply, tokenUsableUntil: Math.min(rec.reply.tokenUsableUntil, now()) } }, { notify: false });
            continue;
          case 'unknown_message':
            // The reply was deleted (e.g. by a moderator): post the result as a new message.
            rec = await save(rec, { reply: { ...rec.reply, messageId: null, route: route === 'dm' ? 'dm' : 'channel' } });
            continue;
          case 'no_access':
            if (route === 'dm') throw err;
            rec = await save(rec, { reply: { ...rec.reply, route: 'dm' } });
            continue;
          case 'cannot_dm':
            return { record: rec, delivered: { via: 'none', channelId: null, messageId: null, at: now(), attached: false } };
          default:
            throw err;
        }
      }
    }
    throw new DeliveryRouteError(`task ${rec.id}: no route took the final message after ${MAX_ROUTE_HOPS} changes`);
  }

  /**
   * Edits the progress message when its visible text changed and the last edit is old enough.
   * Best effort: a failed edit changes the route when Discord says so and is otherwise skipped.
   */
  async function showProgress(record: TaskRecord): Promise<TaskRecord> {
    const eta = options.eta?.(record);
    const line = progressLine(record, eta);
    if (line === record.shown || record.reply.route === 'dm') return record;
    if (record.lastEditAt !== undefined && now() - record.lastEditAt < schedule.minEditGapMs) return record;
    const rec = await offExpiredToken(record, false);
    if (rec.reply.route === 'dm') return rec;
    let delivered: Delivered;
    try {
      delivered = await writeInPlace(rec, renderProgress(rec, eta), undefined);
    } catch (err) {
      const kind = err instanceof DiscordWriteError ? err.kind : 'other';
      logger.debug({ task: rec.id, kind }, 'progress edit skipped');
      if (kind === 'token_expired') return handoff(rec, { notify: false });
      if (kind === 'unknown_message') return save(rec, { reply: { ...rec.reply, messageId: null, route: 'channel' } });
      return rec;
    }
    // Learn the reply's id from the first edit if the acknowledgement did not carry it.
    const messageId = rec.reply.messageId ?? delivered.messageId;
    return save(rec, { shown: line, lastEditAt: now(), reply: { ...rec.reply, messageId } });
  }

  function uploadLimit(record: TaskRecord): number {
    if (record.reply.route === 'webhook') return record.attachmentSizeLimit;
    if (record.reply.route === 'channel') return options.guildUploadLimit(record.owner.guildId);
    return DEFAULT_UPLOAD_LIMIT_BYTES;
  }

  /**
   * After a crash between Discord accepting the final message and the record saying so, the
   * message already carries the video: find it instead of uploading (or posting) again.
   */
  async function alreadyDelivered(record: TaskRecord): Promise<Written | undefined> {
    if (record.deliveryStartedAt === undefined || record.outcome?.kind !== 'video') return undefined;
    const fileName = videoFileName(record);
    try {
      const message =
        record.reply.route === 'webhook' && now() < record.reply.tokenUsableUntil
          ? await outbox.getOriginal(record.reply.token)
          : record.reply.route === 'channel' && record.reply.messageId
            ? await outbox.fetchChannelMessage(record.owner.channelId, record.reply.messageId)
            : undefined;
      if (message?.attachments?.some((a) => a.filename === fileName)) {
        logger.info({ task: record.id }, 'final message was already posted before a restart');
        // The process that posted it died before cleaning up after itself.
        await stager.cleanup(record.id);
        return { record, delivered: { via: record.reply.route, channelId: message.channel_id, messageId: message.id, at: now(), attached: true } };
      }
    } catch (err) {
      logger.debug({ task: record.id, err }, 'could not read back the reply; delivering again');
    }
    return undefined;
  }

  /**
   * Downloads the video and posts it: byte-for-byte when it fits the route's upload limit,
   * re-encoded to fit when it does not, a link when it cannot fit. Throws
   * {@link UserFacingError} `video_unavailable` when the file cannot be had (the job fails),
   * anything else when a later attempt may succeed. A kill mid-encode posts nothing: the next
   * attempt (after {@link alreadyDelivered}) downloads and encodes again.
   */
  async function deliverVideo(record: TaskRecord, url: string | VideoProducer): Promise<Written> {
    const limit = uploadLimit(record);
    const fileName = videoFileName(record);
    const link = (linkReason: VideoDelivery['linkReason']) => writeFinal(record, renderFinal(record, { linkReason }));
    try {
      let staged: StagedVideo;
      try {
        staged = await stager.stage(record.id, url, limit);
      } catch (err) {
        if (err instanceof UserFacingError) throw err;
        logger.warn({ task: record.id, err, attempt: record.attempts + 1 }, 'video download failed');
        const refused = fetchRefusalFailure(err, 'video_unavailable', record.owner.locale);
        if (refused) throw refused;
        if (isRetryableDownload(err) && record.attempts + 1 < MAX_VIDEO_ATTEMPTS) throw err;
        throw new UserFacingError('video_unavailable', undefined, { code: 'video_download_failed', taskId: record.upstream?.taskId ?? record.id });
      }
      if (staged.kind === 'link') return await link({ kind: 'too_large', sizeBytes: staged.sizeBytes, limitBytes: limit });
      // The token may have expired during a long encode: the new route may allow less.
      const rec = await offExpiredToken(record, false);
      const routeLimit = uploadLimit(rec);
      if (staged.sizeBytes > routeLimit) {
        return await writeFinal(
          rec,
          renderFinal(rec, { linkReason: { kind: 'too_large', sizeBytes: staged.compressed?.fromBytes ?? staged.sizeBytes, limitBytes: routeLimit } }),
        );
      }
      try {
        // Streamed from disk into the upload: the video is never held in memory whole.
        const written = await writeFinal(rec, renderFinal(rec, { fileName, compressed: staged.compressed }), [
          { name: fileName, path: staged.path, contentType: 'video/mp4' },
        ]);
        return staged.compressed && written.delivered.attached ? { ...written, delivered: { ...written.delivered, compressed: staged.compressed } } : written;
      } catch (err) {
        if (err instanceof DiscordWriteError && err.kind === 'too_large') {
          return await link({ kind: 'too_large', sizeBytes: staged.compressed?.fromBytes ?? staged.sizeBytes, limitBytes: limit });
        }
        throw err;
      }
    } finally {
      await stager.cleanup(record.id);
    }
  }

  /**
   * Posts the record's outcome (the video, or the failure). The caller marks
   * `deliveryStartedAt` first and asks {@link alreadyDelivered} on later attempts. Throws when
   * this attempt did not land.
   */
  async function deliverOutcome(record: TaskRecord): Promise<Written> {
    const outcome = record.outcome;
    if (!outcome) throw new TypeError(`task ${record.id} has no outcome to deliver`);
    if (outcome.kind === 'failed') return writeFinal(record, renderFinal(record));
    return deliverVideo(record, record.story ? joinedStory(record, outcome.url) : outcome.url);
  }

  /**
   * The last clip of a story: every clip downloaded (under this job's temp names) and joined by
   * ffmpeg into the one video that is posted; it is then fitted to the limit like any video.
   */
  function joinedStory(record: TaskRecord, lastUrl: string): VideoProducer {
    const urls = [...(record.story?.clips ?? []).map((c) => c.url), lastUrl];
    return async (path, { maxBytes }) => {
      const inputs = urls.map((_, i) => join(options.tmpDir, `${record.id}.clip-${i}.mp4`));
      try {
        for (const [i, url] of urls.entries()) {
          await options.download.toFile(url, inputs[i]!, { maxBytes, timeoutMs: schedule.videoDownloadTimeoutMs });
        }
        try {
          await options.fitter.join({ inputs, output: path });
        } catch (err) {
          if (!(err instanceof EncodeError)) throw err;
          logger.warn({ task: record.id, err, stderr: (err as { stderrTail?: string }).stderrTail }, 'story clips could not be joined');
          throw new UserFacingError('video_unavailable', undefined, { code: 'story_join_failed' });
        }
        logger.info({ task: record.id, story: record.story?.id, clips: urls.length }, 'story clips joined');
        return { bytes: (await stat(path)).size };
      } finally {
        await Promise.all(inputs.map((p) => rm(p, { force: true })));
      }
    };
  }

  /** Shows the stopped card in place of the progress card (best effort; the record is unchanged). */
  async function showStopped(record: TaskRecord): Promise<void> {
    if (record.reply.route === 'dm' || (record.reply.route === 'webhook' && now() >= record.reply.tokenUsableUntil)) return;
    try {
      await writeInPlace(record, renderStopped(record), undefined);
    } catch (err) {
      logger.debug({ task: record.id, err }, 'could not show the stopped card');
    }
  }

  return {
    handoff,
    showStopped,
    /** Hands over off an expired interaction token (with the DM notice); else the record as is. */
    retireToken: (record: TaskRecord) => offExpiredToken(record, true),
    showProgress,
    alreadyDelivered,
    deliverOutcome,
    /** Pings the requester once about the posted result (src/discord/ping.ts); never throws. */
    notify: pinger.ping,
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
