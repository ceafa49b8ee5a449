import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RequestError } from '../generation/errors.js';
import { checkImage } from '../generation/images.js';
import { MAX_IMAGE_BYTES } from '../generation/models.js';
import { toSubmitBody } from '../generation/request.js';
import { UserFacingError, toUserFacing } from '../errors.js';
import type { Logger } from '../log.js';
import { renderDmNotice, renderFinal, renderProgress, progressLine, type MessagePayload, type VideoDelivery } from '../render/render.js';
import { DiscordWriteError, type Outbox, type OutFile } from '../discord/outbox.js';
import type { UpstreamClient } from '../upstream/client.js';
import { UpstreamNotFoundError, UpstreamRateLimitError, sanitizeUpstreamText } from '../upstream/errors.js';
import { isRetryable } from '../upstream/retry.js';
import { taskPhase, type UpstreamTask } from '../upstream/schemas.js';
import { DownloadTooLargeError, isRetryableDownload } from '../upstream/download.js';
import { FrameExtractionError, LAST_FRAME_SCHEME } from './frames.js';
import { LIBRARY_SCHEME, LibraryImageMissingError } from '../subjects/library.js';
import type { TaskRecord } from './record.js';
import { nextPollDelayMs, retryDelayMs, type Schedule } from './schedule.js';
import type { TaskStore } from './store.js';

/** Discord's default per-file upload limit, in bytes (10 MiB). */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

export interface Downloader {
  bytes(url: string, options: { maxBytes: number; timeoutMs: number }): Promise<Buffer>;
  toFile(url: string, path: string, options: { maxBytes: number; timeoutMs: number }): Promise<{ bytes: number }>;
}

export interface EngineEvents {
  /** A task reached `done`; `attached` tells whether the mp4 itself was posted. */
  finished?(record: TaskRecord): void;
  submitted?(record: TaskRecord): void;
}

export interface EngineOptions {
  store: TaskStore;
  upstream: UpstreamClient;
  outbox: Outbox;
  download: Downloader;
  logger: Logger;
  schedule: Schedule;
  /** Polling gives up this long after submit, ms. */
  taskDeadlineMs: number;
  /** Preparing and submitting give up this long after the job was accepted, ms. Default 10 min. */
  submitDeadlineMs?: number;
  /** Where finished videos are staged before upload. */
  tmpDir: string;
  /** Upload limit for messages the bot posts itself in a guild (from its boost tier), bytes. */
  guildUploadLimit(guildId: string | null): number;
  /** The last frame of a video as PNG bytes (Continue without `last_frame_url`). */
  lastFrame?(videoUrl: string, key: string): Promise<Buffer>;
  /** The bytes of a saved subject image (`vidu-library:<ref>`, src/subjects/library.ts). */
  libraryImage?(ref: string): Promise<Buffer>;
  /** Strings never to show (our API keys), masked out of upstream text. */
  secrets: readonly string[];
  now?: () => number;
  random?: () => number;
  events?: EngineEvents;
  /**
   * Delay before the next status read of a task still queued or running, ms; `record` is the task
   * before this read, `progress` what the upstream reports now. Default: the upstream's window.
   */
  pollDelayMs?(record: TaskRecord, phase: 'queued' | 'running', progress: number): number;
}

/** Transient failures of one step are retried this many times before the job fails. */
const MAX_TRANSIENT_ATTEMPTS = { images: 3, video: 5, discord: 8 } as const;

/**
 * Advances one task by one step, reading and writing the store; never holds job state in
 * memory between steps. `step` returns the updated record; the scheduler sleeps until
 * {@link wakeAt} of it.
 */
export function createEngine(options: EngineOptions) {
  const { store, upstream, outbox, download, logger, schedule } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const submitDeadlineMs = options.submitDeadlineMs ?? 10 * 60 * 1000;

  const save = async (record: TaskRecord, patch: Partial<TaskRecord>): Promise<TaskRecord> => {
    const next = { ...record, ...patch, updatedAt: now() } as TaskRecord;
    await store.put(next);
    return next;
  };

  const fail = (record: TaskRecord, err: unknown): Promise<TaskRecord> => {
    const ufe = err instanceof UserFacingError ? err : toUserFacing(err, options.secrets, record.owner.locale);
    logger.info({ task: record.id, code: ufe.code, err }, 'job failed');
    return save(record, { state: 'delivering', outcome: { kind: 'failed', code: ufe.code, detail: ufe.detail }, nextAt: now(), attempts: 0 });
  };

  /** Retry this step later; after `max` attempts (or past `giveUpAt`) fail with `err`. */
  const retryLater = (record: TaskRecord, err: unknown, max: number, giveUpAt?: number, retryAfterMs?: number) => {
    const attempts = record.attempts + 1;
    if (attempts > max || (giveUpAt !== undefined && now() >= giveUpAt)) return fail(record, err);
    logger.warn({ task: record.id, attempts, err }, 'step failed, will retry');
    return save(record, { attempts, nextAt: now() + retryDelayMs(attempts, schedule, random, retryAfterMs) });
  };

  // ---- Discord writes -------------------------------------------------------------------

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

  interface Written {
    record: TaskRecord;
    delivered: NonNullable<TaskRecord['delivered']>;
  }

  /** Writes `payload` where the record's route says, following Discord's failures to the next route. */
  async function write(record: TaskRecord, payload: MessagePayload, files: OutFile[] | undefined, final: boolean): Promise<Written> {
    let rec = record;
    for (let hop = 0; hop < 5; hop++) {
      const route = rec.reply.route;
      try {
        if (route === 'webhook') {
          if (now() >= rec.reply.tokenUsableUntil) {
            rec = await handoff(rec, { notify: false });
            continue;
          }
          const res = await outbox.editOriginal(rec.reply.token, payload, files);
          return { record: rec, delivered: { via: 'webhook', channelId: res.channel_id, messageId: res.id, at: now(), attached: !!files?.length } };
        }
        if (route === 'channel') {
          const res = rec.reply.messageId
            ? await outbox.editChannelMessage(rec.owner.channelId, rec.reply.messageId, payload, files)
            : await outbox.createMessage(rec.owner.channelId, { ...payload, allowed_mentions: { parse: [], users: [rec.owner.userId] } }, `vidu${rec.id}`, files);
          return { record: rec, delivered: { via: 'channel', channelId: res.channel_id, messageId: res.id, at: now(), attached: !!files?.length } };
        }
        if (!final) throw new DiscordWriteError('other', undefined, undefined); // no progress edits in DMs
        const dm = await outbox.openDm(rec.owner.userId);
        const res = await outbox.createMessage(dm, payload, `vidu${rec.id}`, files);
        return { record: rec, delivered: { via: 'dm', channelId: res.channel_id, messageId: res.id, at: now(), attached: !!files?.length } };
      } catch (raw) {
        const err = raw instanceof DiscordWriteError ? raw : new DiscordWriteError('transient', undefined, undefined, { cause: raw });
        if (!final) throw err;
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
    throw new DiscordWriteError('other', undefined, undefined);
  }

  /** Edits the progress message when its visible text changed and the last edit is old enough. */
  async function maybeShowProgress(record: TaskRecord): Promise<TaskRecord> {
    const line = progressLine(record);
    if (line === record.shown || record.reply.route === 'dm') return record;
    if (record.lastEditAt !== undefined && now() - record.lastEditAt < schedule.minEditGapMs) return record;
    let written: Written;
    try {
      written = await write(record, renderProgress(record), undefined, false);
    } catch (err) {
      const kind = err instanceof DiscordWriteError ? err.kind : 'other';
      logger.debug({ task: record.id, kind }, 'progress edit skipped');
      if (kind === 'token_expired') return handoff(record, { notify: false });
      if (kind === 'unknown_message') return save(record, { reply: { ...record.reply, messageId: null, route: 'channel' } });
      return record;
    }
    // Learn the reply's id from the first edit if the acknowledgement did not carry it.
    const messageId = record.reply.messageId ?? written.delivered.messageId;
    return save(written.record, { shown: line, lastEditAt: now(), reply: { ...written.record.reply, messageId } });
  }

  // ---- Job steps -------------------------------------------------------------------------

  const lastFrameOf = (videoUrl: string, key: string): Promise<Buffer> => {
    if (!options.lastFrame) throw new FrameExtractionError('no frame extractor configured');
    return options.lastFrame(videoUrl, key);
  };

  async function prepare(record: TaskRecord): Promise<TaskRecord> {
    let rec = await maybeShowProgress(record);
    const urls: string[] = [];
    for (const image of rec.request.images) {
      let bytes: Buffer;
      try {
        bytes = image.url.startsWith(LAST_FRAME_SCHEME)
          ? await lastFrameOf(image.url.slice(LAST_FRAME_SCHEME.length), rec.id)
          : image.url.startsWith(LIBRARY_SCHEME) && options.libraryImage
            ? await options.libraryImage(image.url.slice(LIBRARY_SCHEME.length))
            : await download.bytes(image.url, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: schedule.imageDownloadTimeoutMs });
      } catch (err) {
        if (err instanceof FrameExtractionError) return fail(rec, new UserFacingError('images_unavailable', 'The last frame of the video could not be extracted.'));
        if (err instanceof LibraryImageMissingError) return fail(rec, new UserFacingError('images_unavailable', err.describe(rec.owner.locale)));
        if (err instanceof DownloadTooLargeError) {
          return fail(rec, new RequestError('image_too_large', { filename: image.filename, size: image.size, max: MAX_IMAGE_BYTES }));
        }
        if (isRetryableDownload(err)) return retryLater(rec, new UserFacingError('images_unavailable'), MAX_TRANSIENT_ATTEMPTS.images);
        return fail(rec, new UserFacingError('images_unavailable'));
      }
      let mimeType: string;
      try {
        mimeType = checkImage(bytes, image.filename).mimeType;
      } catch (err) {
        return fail(rec, err);
      }
      try {
        const uploaded = await upstream.uploadImage({ bytes, filename: image.filename, mimeType });
        urls.push(uploaded.url);
      } catch (err) {
        if (isRetryable(err, 'upload')) return retryLater(rec, err, Infinity, rec.createdAt + submitDeadlineMs);
        return fail(rec, err);
      }
    }
    rec = await save(rec, { state: 'submitting', uploadedImageUrls: urls, attempts: 0 });
    return submit(rec, false);
  }

  function adopt(record: TaskRecord, task: UpstreamTask): Promise<TaskRecord> {
    const at = now();
    return save(record, {
      state: 'running',
      upstream: { taskId: task.id, status: task.status, progress: task.progress ?? 0, submittedAt: at },
      deadlineAt: at + options.taskDeadlineMs,
      nextAt: at + schedule.firstPollMs,
      attempts: 0,
      polls: 0,
    }).then((r) => {
      options.events?.submitted?.(r);
      return r;
    });
  }

  /**
   * Submits with the record's `client_business_id`. When a submit may already have reached the
   * upstream (a retry, a restart), it first asks for the task by that id instead of paying again.
   */
  async function submit(record: TaskRecord, lookFirst: boolean): Promise<TaskRecord> {
    try {
      if (lookFirst) {
        try {
          const existing = await upstream.getTask(record.clientBusinessId);
          logger.info({ task: record.id, upstreamTask: existing.id }, 'found the earlier submit; not submitting again');
          return await adopt(record, existing);
        } catch (err) {
          if (!(err instanceof UpstreamNotFoundError)) throw err;
        }
      }
      const body = toSubmitBody(record.request, record.uploadedImageUrls ?? [], record.clientBusinessId);
      const task = await upstream.submit(body);
      logger.info({ task: record.id, upstreamTask: task.id, model: body.model }, 'submitted');
      return await adopt(record, task);
    } catch (err) {
      if (isRetryable(err, 'submit')) {
        return retryLater(record, err, Infinity, record.createdAt + submitDeadlineMs, (err as { retryAfterMs?: number }).retryAfterMs);
      }
      return fail(record, err);
    }
  }

  async function poll(record: TaskRecord): Promise<TaskRecord> {
    const up = record.upstream!;
    const deadlineAt = record.deadlineAt ?? up.submittedAt + options.taskDeadlineMs;
    let task: UpstreamTask;
    try {
      task = await upstream.getTask(up.taskId);
    } catch (err) {
      if (now() >= deadlineAt) return fail(record, new UserFacingError('timed_out'));
      if (err instanceof UpstreamNotFoundError) {
        return fail(record, new UserFacingError('generation_failed', `Vidu no longer knows task ${up.taskId}.`));
      }
      const retryAfterMs = err instanceof UpstreamRateLimitError ? err.retryAfterMs : undefined;
      // A status read never charges: keep reading until the deadline, backing off.
      logger.warn({ task: record.id, err }, 'status read failed');
      return save(record, {
        attempts: record.attempts + 1,
        nextAt: now() + Math.max(nextPollDelayMs('running', schedule, random, retryAfterMs), retryDelayMs(record.attempts + 1, schedule, random)),
      });
    }
    const phase = taskPhase(task.status);
    if (phase === 'completed') {
      const item = task.result?.data[0];
      if (!item) return fail(record, new UserFacingError('video_unavailable'));
      return save(record, {
        state: 'delivering',
        upstream: { ...up, status: task.status, progress: 100 },
        outcome: {
          kind: 'video',
          url: item.url,
          lastFrameUrl: item.last_frame_url,
          completedAt: now(),
          expiresAt: task.expires_at !== undefined ? task.expires_at * 1000 : undefined,
        },
        nextAt: now(),
        attempts: 0,
      });
    }
    if (phase === 'failed') {
      const said = task.error?.message ? sanitizeUpstreamText(task.error.message, options.secrets) : undefined;
      return fail({ ...record, upstream: { ...up, status: task.status } }, new UserFacingError('generation_failed', said && `Vidu said: “${said}”`));
    }
    if (now() >= deadlineAt) return fail(record, new UserFacingError('timed_out'));
    const rec = await save(record, {
      upstream: { ...up, status: task.status, progress: task.progress ?? up.progress },
      polls: record.polls + 1,
      attempts: 0,
      nextAt:
        now() +
        (options.pollDelayMs?.(record, phase === 'queued' ? 'queued' : 'running', task.progress ?? up.progress) ??
          nextPollDelayMs(phase === 'queued' ? 'queued' : 'running', schedule, random)),
    });
    return maybeShowProgress(rec);
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
        return { record, delivered: { via: record.reply.route, channelId: message.channel_id, messageId: message.id, at: now(), attached: true } };
      }
    } catch (err) {
      logger.debug({ task: record.id, err }, 'could not read back the reply; delivering again');
    }
    return undefined;
  }

  async function deliver(record: TaskRecord): Promise<TaskRecord> {
    const outcome = record.outcome!;
    let written: Written | undefined = await alreadyDelivered(record);
    if (!written && record.deliveryStartedAt === undefined) record = await save(record, { deliveryStartedAt: now() });
    try {
      if (written) {
        // Nothing to post.
      } else if (outcome.kind === 'failed') {
        written = await write(record, renderFinal(record), undefined, true);
      } else {
        written = await deliverVideo(record, outcome.url);
      }
    } catch (err) {
      if (err instanceof UserFacingError) return fail(record, err);
      if (outcome.kind === 'failed' && record.attempts + 1 >= MAX_TRANSIENT_ATTEMPTS.discord) {
        // Not even the failure can be posted: stop trying; the record keeps the outcome for lookup.
        logger.error({ task: record.id, err }, 'giving up posting the failure');
        return save(record, { state: 'done', delivered: { via: 'none', channelId: null, messageId: null, at: now(), attached: false } });
      }
      return retryLater(record, new UserFacingError('video_unavailable'), MAX_TRANSIENT_ATTEMPTS.discord);
    }
    const done = await save(written.record, { state: 'done', delivered: written.delivered, nextAt: now(), attempts: 0 });
    logger.info({ task: done.id, via: done.delivered?.via, attached: done.delivered?.attached, outcome: outcome.kind }, 'delivered');
    options.events?.finished?.(done);
    return done;
  }

  async function deliverVideo(record: TaskRecord, url: string): Promise<Written> {
    const limit = uploadLimit(record);
    const fileName = videoFileName(record);
    const path = join(options.tmpDir, `${record.id}.mp4`);
    const link = (linkReason: VideoDelivery['linkReason']) => write(record, renderFinal(record, { linkReason }), undefined, true);
    try {
      let sizeBytes: number;
      try {
        sizeBytes = (await download.toFile(url, path, { maxBytes: limit, timeoutMs: schedule.videoDownloadTimeoutMs })).bytes;
      } catch (err) {
        if (err instanceof DownloadTooLargeError) {
          return await link({ kind: 'too_large', sizeBytes: err.sizeBytes ?? limit + 1, limitBytes: limit });
        }
        logger.warn({ task: record.id, err, attempt: record.attempts + 1 }, 'video download failed');
        if (isRetryableDownload(err) && record.attempts + 1 < MAX_TRANSIENT_ATTEMPTS.video) throw err;
        throw new UserFacingError('video_unavailable', `The file of task ${record.upstream?.taskId ?? record.id} could not be downloaded.`);
      }
      try {
        // Streamed from disk into the upload: the video is never held in memory whole.
        return await write(record, renderFinal(record, { fileName }), [{ name: fileName, path, contentType: 'video/mp4' }], true);
      } catch (err) {
        if (err instanceof DiscordWriteError && err.kind === 'too_large') {
          return await link({ kind: 'too_large', sizeBytes, limitBytes: limit });
        }
        throw err;
      }
    } finally {
      await rm(path, { force: true });
    }
  }

  /** Runs what is due for one task and returns the record as it now stands. */
  async function step(id: string): Promise<TaskRecord | undefined> {
    let rec = await store.get(id);
    if (!rec || rec.state === 'done') return rec;
    if (rec.reply.route === 'webhook' && now() >= rec.reply.tokenUsableUntil) rec = await handoff(rec, { notify: true });
    for (let guard = 0; guard < 4 && rec.state !== 'done' && now() >= rec.nextAt; guard++) {
      const before = rec.state;
      switch (rec.state) {
        case 'accepted':
          rec = await prepare(rec);
          break;
        case 'submitting':
          rec = await submit(rec, true);
          break;
        case 'running':
          rec = await poll(rec);
          break;
        case 'delivering':
          rec = await deliver(rec);
          break;
      }
      if (rec.state === before) break;
    }
    return rec;
  }

  return { step };
}

/** When the scheduler should next run {@link createEngine}'s `step` for this record. */
export function wakeAt(record: TaskRecord): number | undefined {
  if (record.state === 'done') return undefined;
  return record.reply.route === 'webhook' ? Math.min(record.nextAt, record.reply.tokenUsableUntil) : record.nextAt;
}

export type Engine = ReturnType<typeof createEngine>;

/** Name of the attached mp4; also how a restarted process recognises its own upload. */
export function videoFileName(record: Pick<TaskRecord, 'id'>): string {
  return `vidu-${record.id}.mp4`;
}
