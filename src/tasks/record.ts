import { z } from 'zod';
import { GenerationRequestSchema } from '../generation/request.js';
import { taskPhase } from '../upstream/schemas.js';

/**
 * The task record is the truth about a job: the poller, the delivery and a restarted process all
 * work from it. States, in order:
 * - `accepted`   — written before anything is paid for; images not yet uploaded.
 * - `submitting` — images uploaded, a submit may have reached the upstream (replay by id).
 * - `running`    — the upstream task id is known; polled until it finishes or the deadline passes.
 * - `delivering` — the outcome is known; the final message is not yet confirmed posted.
 * - `done`       — the final message (video, link or failure) is posted. Terminal.
 */
export const TASK_STATES = ['accepted', 'submitting', 'running', 'delivering', 'done'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const FINISHED_STATES: readonly TaskState[] = ['done'];

/** Stable codes of the failures a member can see. */
export const FAILURE_CODES = [
  'invalid_input',
  'bad_request',
  'misconfigured',
  'out_of_credits',
  'content_refused',
  'upstream_unavailable',
  'generation_failed',
  'timed_out',
  'images_unavailable',
  'video_unavailable',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/**
 * Why a job failed beyond its code, as a catalog key's parameters: the text is rendered in the
 * reader's locale when shown (src/render/render.ts `failureDetail`), never stored.
 */
export const FailureReasonSchema = z.discriminatedUnion('code', [
  z.object({ code: z.literal('last_frame_failed') }),
  z.object({ code: z.literal('task_unknown'), taskId: z.string().max(200) }),
  z.object({ code: z.literal('video_download_failed'), taskId: z.string().max(200) }),
  /** The upstream's own words, already sanitised (src/upstream/errors.ts). */
  z.object({ code: z.literal('upstream_said'), said: z.string().max(600) }),
  z.object({ code: z.literal('library_image_missing'), name: z.string().max(200) }),
  /** A `vidu-library:` image of another member than the requester (never read). */
  z.object({ code: z.literal('library_image_foreign') }),
  /** ffmpeg could not join a story's clips into one video (src/media/concat.ts). */
  z.object({ code: z.literal('story_join_failed') }),
]);
export type FailureReason = z.infer<typeof FailureReasonSchema>;

const OutcomeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('video'),
    url: z.url(),
    lastFrameUrl: z.url().optional(),
    completedAt: z.number(),
    expiresAt: z.number().optional(),
  }),
  z.object({
    kind: z.literal('failed'),
    code: z.enum(FAILURE_CODES),
    /** Why, as a code and parameters; rendered in the reader's locale. */
    reason: FailureReasonSchema.optional(),
    /**
     * Member-readable text (already sanitised) shown under the title when there is no `reason`:
     * request refusals (in the owner's locale) and records stored before reasons existed.
     */
    detail: z.string().max(600).optional(),
  }),
]);
export type Outcome = z.infer<typeof OutcomeSchema>;

/** Where the next message write goes: the interaction webhook, the channel endpoint, or a DM. */
export const ROUTES = ['webhook', 'channel', 'dm'] as const;
export type Route = (typeof ROUTES)[number];

export const TaskRecordSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(64),
  clientBusinessId: z.string().min(1).max(64),
  state: z.enum(TASK_STATES),
  createdAt: z.number(),
  updatedAt: z.number(),
  owner: z.object({
    userId: z.string(),
    guildId: z.string().nullable(),
    channelId: z.string(),
    locale: z.string().max(16),
    /** Run through a user install (the bot is not a member of that server). */
    userInstall: z.boolean().optional(),
  }),
  reply: z.object({
    applicationId: z.string(),
    token: z.string(),
    /** Last moment (ms) the interaction token may be used; a margin before Discord's 15 min. */
    tokenUsableUntil: z.number(),
    messageId: z.string().nullable(),
    ephemeral: z.boolean(),
    route: z.enum(ROUTES),
    /** Whether the member has been told the result will come by DM. */
    dmNotice: z.boolean().default(false),
  }),
  /** Largest attachment Discord accepts for this interaction, in bytes. */
  attachmentSizeLimit: z.number().int().positive(),
  request: GenerationRequestSchema,
  uploadedImageUrls: z.array(z.url()).optional(),
  upstream: z
    .object({
      taskId: z.string(),
      /** The upstream's own spelling, as last read. */
      status: z.string(),
      /**
       * Where the upstream task is, from `status` ({@link taskPhase}); stored with it so readers
       * (progress text, /vidu-jobs) never re-derive it. Records written before it existed get it
       * from their `status` when read.
       */
      phase: z.enum(['queued', 'running', 'completed', 'failed']).optional(),
      progress: z.number().min(0).max(100),
      submittedAt: z.number(),
    })
    .transform((up) => ({ ...up, phase: up.phase ?? taskPhase(up.status) }))
    .optional(),
  /** When polling gives up with "timed out", in ms since epoch. */
  deadlineAt: z.number().optional(),
  /** When the engine should next look at this task (ms since epoch). */
  nextAt: z.number(),
  /** Consecutive transient failures of the current step. */
  attempts: z.number().int().min(0).default(0),
  polls: z.number().int().min(0).default(0),
  /** The progress text last shown, so edits happen only when it changes. */
  shown: z.string().optional(),
  lastEditAt: z.number().optional(),
  outcome: OutcomeSchema.optional(),
  /** What this job was made from: another job (re-roll, edit, continue) or a message (animate). */
  parent: z
    .object({
      id: z.string(),
      kind: z.enum(['reroll', 'edit', 'continue', 'animate']),
      /** Link to the parent's message, when known. */
      messageUrl: z.url().optional(),
    })
    .optional(),
  /** Weighted video-seconds reserved against the server's daily limits (given back on failure). */
  quota: z
    .object({
      weight: z.number().int().nonnegative(),
      day: z.string(),
      memberLeft: z.number().optional(),
      serverLeft: z.number().optional(),
    })
    .optional(),
  /** Weighted video-seconds reserved against the operator's daily caps (given back on failure). */
  operatorQuota: z.object({ weight: z.number().nonnegative(), day: z.string() }).optional(),
  /**
   * Set when the member pressed Stop: the bot stopped waiting and never posts the video by
   * itself. The upstream task id is kept so `/vidu-show` can still look the video up.
   */
  stopped: z.object({ at: z.number(), by: z.string() }).optional(),
  /**
   * What the member was told about their own defaults when the job started (a cap overrode one),
   * in their locale; shown on the card. Not a follow-up message: after a deferred reply Discord
   * turns the first follow-up into the original message, which the card then cannot replace.
   */
  notes: z.array(z.string().max(300)).max(5).optional(),
  /**
   * A clip of a `/vidu-story` chain (src/tasks/story.ts): which story, which clip of how many,
   * the in-flight slot the run holds, the earlier clips (job id, video URL) and every clip's
   * prompt excerpt for the card. A clip before the last is not posted: `next` names the job it
   * handed on to. The last clip posts the joined video.
   */
  story: z
    .object({
      id: z.string().min(1).max(64),
      index: z.number().int().min(0).max(5),
      total: z.number().int().min(2).max(6),
      slot: z.string().min(1).max(64),
      clips: z.array(z.object({ jobId: z.string().max(64), url: z.url() })).max(5),
      prompts: z.array(z.string().max(300)).min(2).max(6),
      next: z.string().max(64).optional(),
    })
    .optional(),
  /** When the result message was deleted through the Delete button. */
  deletedAt: z.number().optional(),
  /** Set before the first final write: a later attempt first checks what Discord already has. */
  deliveryStartedAt: z.number().optional(),
  delivered: z
    .object({
      via: z.enum(['webhook', 'channel', 'dm', 'none']),
      channelId: z.string().nullable(),
      messageId: z.string().nullable(),
      at: z.number(),
      /** true when the mp4 itself was attached, false when a link was posted. */
      attached: z.boolean(),
      /** The attached mp4 is a re-encode that fits the upload limit (src/media/fit.ts), bytes. */
      compressed: z.object({ fromBytes: z.number(), toBytes: z.number() }).optional(),
    })
    .optional(),
  /**
   * The requester's one ping when the result landed (src/discord/ping.ts): `sending` is saved
   * before the write, `sent` or `skipped` (with why) after.
   */
  ping: z
    .object({
      state: z.enum(['sending', 'sent', 'skipped']),
      at: z.number(),
      via: z.enum(['channel', 'followup']).optional(),
      messageId: z.string().optional(),
      reason: z.string().max(40).optional(),
    })
    .optional(),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/**
 * The server whose shard owns a job: its guild for guild installs; none (so shard 0, with DMs)
 * for DMs and user installs, whose events no guild shard is sure to receive.
 */
export function owningGuildId(owner: Pick<TaskRecord['owner'], 'guildId' | 'userInstall'>): string | null {
  return owner.userInstall ? null : owner.guildId;
}

export function isFinished(record: Pick<TaskRecord, 'state'>): boolean {
  return FINISHED_STATES.includes(record.state);
}
