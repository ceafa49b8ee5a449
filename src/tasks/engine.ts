import { RequestError } from '../generation/errors.js';
import { checkImage } from '../generation/images.js';
import { MAX_IMAGE_BYTES } from '../generation/models.js';
import { toSubmitBody } from '../generation/request.js';
import { UserFacingError, toUserFacing } from '../errors.js';
import type { Logger } from '../log.js';
import type { Delivery, Downloader, Written } from '../discord/deliver.js';
import type { UpstreamClient } from '../upstream/client.js';
import { UpstreamNotFoundError, UpstreamRateLimitError, sanitizeUpstreamText } from '../upstream/errors.js';
import { isRetryable } from '../upstream/retry.js';
import { taskPhase, type UpstreamTask } from '../upstream/schemas.js';
import { DownloadTooLargeError, isRetryableDownload } from '../upstream/download.js';
import { FrameExtractionError } from './frames.js';
import { imageSource } from '../generation/image-source.js';
import { fetchRefusalFailure } from './fetch-failure.js';
import { LibraryAccessError, LibraryImageMissingError } from '../subjects/library.js';
import type { TaskRecord } from './record.js';
import { nextPollDelayMs, offPeakPollDelayMs, retryDelayMs, type Schedule } from './schedule.js';
import type { TaskRepository } from '../store/index.js';

export interface EngineEvents {
  /**
   * Awaited right before a task is saved as `done`, with its final outcome: settles its spend
   * (src/settings/spend.ts). Must be idempotent; a rejection retries the step later.
   */
  settle?(record: TaskRecord): Promise<void>;
  /** A task reached `done`; `attached` tells whether the mp4 itself was posted. */
  finished?(record: TaskRecord): void;
  submitted?(record: TaskRecord): void;
}

export interface EngineOptions {
  store: TaskRepository;
  upstream: UpstreamClient;
  /** Every Discord write about the job (src/discord/deliver.ts). */
  delivery: Delivery;
  download: Pick<Downloader, 'bytes'>;
  logger: Logger;
  schedule: Schedule;
  /** Polling gives up this long after submit, ms. */
  taskDeadlineMs: number;
  /** Preparing and submitting give up this long after the job was accepted, ms. Default 10 min. */
  submitDeadlineMs?: number;
  /** The last frame of a video as PNG bytes (Continue without `last_frame_url`). */
  lastFrame?(videoUrl: string, key: string): Promise<Buffer>;
  /**
   * The bytes of a saved subject image (`vidu-library:<ref>`, src/subjects/library.ts), read for
   * the job's requester `ownerId` only (another member's ref throws LibraryAccessError).
   */
  libraryImage?(ref: string, ownerId: string): Promise<Buffer>;
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
  /** Whether the member pressed Stop on this job (src/tasks/stops.ts). Default: never. */
  stopMark?(jobId: string): Promise<{ at: number; by: string } | undefined>;
  /**
   * Push completion (webhooks, issue 10): `remember` indexes the job by its client_business_id
   * (before a submit) and upstream task id (after); `take` returns the final task state an event
   * brought, read before the status endpoint; `firstLookMs` replaces the first poll delay.
   */
  push?: PushHooks;
  /** `/vidu-story` chains (src/tasks/story.ts): hand a clip on, and end the chain. Default: none. */
  story?: StoryHooks;
}

/** See {@link EngineOptions.story}. */
export interface StoryHooks {
  /** Starts the clip after `record` (done with a video); the next job's id, or undefined to post this clip itself. */
  advance(record: TaskRecord): Promise<string | undefined>;
  /** The chain ended at `record`: its last clip posted, a clip failed, or the member stopped it. */
  ended(record: TaskRecord, how: 'joined' | 'failed' | 'stopped'): Promise<void>;
}

/** An off-peak job may take 48 h upstream; it is given up 1 h after that, ms. */
export const OFF_PEAK_DEADLINE_MS = 49 * 60 * 60 * 1000;

/** See {@link EngineOptions.push}. */
export interface PushHooks {
  remember(record: TaskRecord): Promise<void>;
  take(record: TaskRecord): Promise<UpstreamTask | undefined>;
  /** Whether an event has brought this job's final state (then its look is due now). */
  has(record: TaskRecord): Promise<boolean>;
  firstLookMs?(record: TaskRecord): number;
}

/** Transient failures of one step are retried this many times before the job fails. */
const MAX_TRANSIENT_ATTEMPTS = { images: 3, video: 5, discord: 8 } as const;

/**
 * Advances one task by one step, reading and writing the store; never holds job state in
 * memory between steps. `step` returns the updated record; the scheduler sleeps until
 * {@link wakeAt} of it.
 */
export function createEngine(options: EngineOptions) {
  const { store, upstream, delivery, download, logger, schedule } = options;
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
    return save(record, {
      state: 'delivering',
      outcome: { kind: 'failed', code: ufe.code, detail: ufe.detail, reason: ufe.reason },
      nextAt: now(),
      attempts: 0,
    });
  };

  /** Retry this step later; after `max` attempts (or past `giveUpAt`) fail with `err`. */
  const retryLater = (record: TaskRecord, err: unknown, max: number, giveUpAt?: number, retryAfterMs?: number) => {
    const attempts = record.attempts + 1;
    if (attempts > max || (giveUpAt !== undefined && now() >= giveUpAt)) return fail(record, err);
    logger.warn({ task: record.id, attempts, err }, 'step failed, will retry');
    return save(record, { attempts, nextAt: now() + retryDelayMs(attempts, schedule, random, retryAfterMs) });
  };

  // ---- Job steps -------------------------------------------------------------------------

  const lastFrameOf = (videoUrl: string, key: string): Promise<Buffer> => {
    if (!options.lastFrame) throw new FrameExtractionError('no frame extractor configured');
    return options.lastFrame(videoUrl, key);
  };

  async function prepare(record: TaskRecord): Promise<TaskRecord> {
    let rec = await delivery.showProgress(record);
    const urls: string[] = [];
    for (const image of rec.request.images) {
      let bytes: Buffer;
      try {
        const source = imageSource(image.url);
        bytes =
          source.kind === 'last-frame'
            ? await lastFrameOf(source.videoUrl, rec.id)
            : source.kind === 'library' && options.libraryImage
              ? await options.libraryImage(source.ref, rec.owner.userId)
              : await download.bytes(image.url, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: schedule.imageDownloadTimeoutMs });
      } catch (err) {
        if (err instanceof FrameExtractionError) return fail(rec, new UserFacingError('images_unavailable', undefined, { code: 'last_frame_failed' }));
        if (err instanceof LibraryAccessError) return fail(rec, new UserFacingError('images_unavailable', undefined, { code: 'library_image_foreign' }));
        if (err instanceof LibraryImageMissingError)
          return fail(rec, new UserFacingError('images_unavailable', undefined, { code: 'library_image_missing', name: err.subject }));
        const refused = fetchRefusalFailure(err, 'images_unavailable', rec.owner.locale);
        if (refused) return fail(rec, refused);
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

  /** Index writes of push completion; a failure only means the fallback poll finds the result. */
  const remember = async (record: TaskRecord): Promise<void> => {
    try {
      await options.push?.remember(record);
    } catch (err) {
      logger.warn({ task: record.id, err }, 'could not index the job for webhook events');
    }
  };

  async function adopt(record: TaskRecord, task: UpstreamTask): Promise<TaskRecord> {
    const at = now();
    const r = await save(record, {
      state: 'running',
      upstream: { taskId: task.id, status: task.status, phase: taskPhase(task.status), progress: task.progress ?? 0, submittedAt: at },
      deadlineAt: at + (record.request.offPeak ? Math.max(options.taskDeadlineMs, OFF_PEAK_DEADLINE_MS) : options.taskDeadlineMs),
      nextAt: at + (record.request.offPeak ? offPeakPollDelayMs(schedule, random) : (options.push?.firstLookMs?.(record) ?? schedule.firstPollMs)),
      attempts: 0,
      polls: 0,
    });
    await remember(r);
    options.events?.submitted?.(r);
    return r;
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
      await remember(record);
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
      // A webhook event may have brought the final state: no status read needed then.
      const pushed = await options.push?.take(record).catch((err: unknown) => {
        logger.warn({ task: record.id, err }, 'could not read the pushed result; reading the status');
        return undefined;
      });
      task = pushed ?? (await upstream.getTask(up.taskId));
    } catch (err) {
      if (now() >= deadlineAt) return fail(record, new UserFacingError('timed_out'));
      if (err instanceof UpstreamNotFoundError) {
        return fail(record, new UserFacingError('generation_failed', undefined, { code: 'task_unknown', taskId: up.taskId }));
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
        upstream: { ...up, status: task.status, phase, progress: 100 },
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
      return fail(
        { ...record, upstream: { ...up, status: task.status, phase } },
        new UserFacingError('generation_failed', undefined, said ? { code: 'upstream_said', said } : undefined),
      );
    }
    if (now() >= deadlineAt) return fail(record, new UserFacingError('timed_out'));
    const rec = await save(record, {
      upstream: { ...up, status: task.status, phase, progress: task.progress ?? up.progress },
      polls: record.polls + 1,
      attempts: 0,
      nextAt:
        now() +
        (record.request.offPeak
          ? offPeakPollDelayMs(schedule, random)
          : (options.pollDelayMs?.(record, phase === 'queued' ? 'queued' : 'running', task.progress ?? up.progress) ??
            nextPollDelayMs(phase === 'queued' ? 'queued' : 'running', schedule, random))),
    });
    // Stop pressed while this look ran: close now rather than edit the card back to progress.
    return (await closeIfStopped(rec)) ?? delivery.showProgress(rec);
  }

  /**
   * Ends a job the member stopped: `done`, nothing posted, the outcome (if already known) and the
   * upstream task id kept for `/vidu-jobs` and `/vidu-show`. The weight stays counted: the
   * upstream cannot cancel, so the generation may still be billed.
   */
  async function closeIfStopped(record: TaskRecord): Promise<TaskRecord | undefined> {
    const mark = record.stopped ?? (await options.stopMark?.(record.id));
    if (!mark) return undefined;
    logger.info({ task: record.id, by: mark.by, state: record.state }, 'job stopped by the member; not waiting any more');
    await options.events?.settle?.({ ...record, stopped: mark });
    const closed = await save(record, { state: 'done', stopped: mark, nextAt: now(), attempts: 0 });
    if (record.story) await endStory(closed, 'stopped');
    // A step that ran while Stop was pressed may have put the progress card back: show the stop again.
    if (!record.stopped) await delivery.showStopped(closed);
    return closed;
  }

  /** Best effort: the chain's refunds must not keep a clip's own result from being posted. */
  async function endStory(record: TaskRecord, how: 'joined' | 'failed' | 'stopped'): Promise<void> {
    try {
      await options.story?.ended(record, how);
    } catch (err) {
      logger.warn({ task: record.id, err, how }, 'could not end the story');
    }
  }

  /**
   * A story clip before the last, done with a video: the next clip starts from its last frame
   * and this one closes without a message of its own (the joined video is posted at the end).
   */
  async function handOn(record: TaskRecord): Promise<TaskRecord | undefined> {
    const link = record.story;
    if (!link || !options.story || record.outcome?.kind !== 'video' || link.index >= link.total - 1) return undefined;
    let next: string | undefined;
    try {
      next = await options.story.advance(record);
    } catch (err) {
      return retryLater(record, err, MAX_TRANSIENT_ATTEMPTS.discord);
    }
    if (!next) return undefined;
    logger.info({ task: record.id, story: link.id, clip: link.index + 1, of: link.total, next }, 'story clip handed on');
    await options.events?.settle?.(record);
    return save(record, { state: 'done', story: { ...link, next }, nextAt: now(), attempts: 0 });
  }

  async function deliver(record: TaskRecord): Promise<TaskRecord> {
    const outcome = record.outcome!;
    // Read again right before the final message: a Stop pressed while this step ran still wins.
    const stopped = await closeIfStopped(record);
    if (stopped) return stopped;
    const handed = await handOn(record);
    if (handed) return handed;
    if (record.story && outcome.kind === 'failed') await endStory(record, 'failed');
    // Posted and recorded before a restart, but the requester not yet pinged: only the ping is left.
    let written: Written | undefined = record.delivered ? { record, delivered: record.delivered } : await delivery.alreadyDelivered(record);
    if (!written && record.deliveryStartedAt === undefined) record = await save(record, { deliveryStartedAt: now() });
    try {
      written ??= await delivery.deliverOutcome(record);
    } catch (err) {
      if (err instanceof UserFacingError) return fail(record, err);
      if (outcome.kind === 'failed' && record.attempts + 1 >= MAX_TRANSIENT_ATTEMPTS.discord) {
        // Not even the failure can be posted: stop trying; the record keeps the outcome for lookup.
        logger.error({ task: record.id, err }, 'giving up posting the failure');
        await options.events?.settle?.(record);
        const closed = await save(record, { state: 'done', delivered: { via: 'none', channelId: null, messageId: null, at: now(), attached: false } });
        options.events?.finished?.(closed);
        return closed;
      }
      return retryLater(record, new UserFacingError('video_unavailable'), MAX_TRANSIENT_ATTEMPTS.discord);
    }
    // Recorded before the ping, so a restart neither posts again nor forgets to ping.
    const posted = record.delivered ? written.record : await save(written.record, { delivered: written.delivered });
    const pinged = await delivery.notify(posted);
    await options.events?.settle?.(pinged);
    const done = await save(pinged, { state: 'done', delivered: written.delivered, nextAt: now(), attempts: 0 });
    if (done.story && outcome.kind === 'video') await endStory(done, 'joined');
    logger.info({ task: done.id, via: done.delivered?.via, attached: done.delivered?.attached, outcome: outcome.kind }, 'delivered');
    options.events?.finished?.(done);
    return done;
  }

  /** Runs what is due for one task and returns the record as it now stands. */
  async function step(id: string): Promise<TaskRecord | undefined> {
    let rec = await store.get(id);
    if (!rec || rec.state === 'done') return rec;
    const stopped = await closeIfStopped(rec);
    if (stopped) return stopped;
    rec = await delivery.retireToken(rec);
    // Woken by a webhook event: the look it replaces is due now, whatever the fallback said.
    if (rec.state === 'running' && now() < rec.nextAt && options.push && (await options.push.has(rec).catch(() => false))) {
      rec = { ...rec, nextAt: now() };
    }
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
