/**
 * `/vidu-story` as one durable chain: every clip is a normal job record with a `story` link, and
 * the story record (src/store/stories.ts) ties them together. When a clip before the last is
 * done, {@link StoryChain.advance} writes the next clip's job — image-to-video from this clip's
 * last frame — and schedules it; the engine then closes this clip without posting it. The last
 * clip posts the joined video (src/discord/deliver.ts). A clip that fails or is stopped ends the
 * chain: {@link StoryChain.ended} gives back what the clips that never ran had reserved.
 *
 * Restarts: every write is keyed by ids fixed at the start (`<slot>-<index>`), so an advance
 * that is replayed finds the next job already written and only schedules it again; the next
 * job's submit carries its own `client_business_id` and is paid once (engine.ts `submit`).
 */
import type { Logger } from '../log.js';
import type { OperatorLedger } from '../settings/operator.js';
import type { UsageLedger } from '../settings/usage.js';
import type { Store } from '../store/index.js';
import { absentIfCorrupt } from '../store/index.js';
import { MEMBER_JOBS_KEPT } from '../store/member-jobs.js';
import type { StoryRecord } from '../store/stories.js';
import { excerpt } from '../render/escape.js';
import { lastFrameSource, storedImageUrl } from '../generation/image-source.js';
import type { TaskRecord } from './record.js';

/** Characters of each clip's prompt kept on every clip's record, for the card. */
export const STORY_PROMPT_EXCERPT_CHARS = 200;

/**
 * The job id of clip `index` after the first of the run that started with job `slot` (the
 * interaction of `/vidu-story`, or of a Retry): `<slot>-<index>`.
 */
export function clipJobId(slot: string, index: number): string {
  return `${slot}-${index}`;
}

/** The prompt excerpts every clip's record carries. */
export function storyPrompts(story: Pick<StoryRecord, 'requests'>): string[] {
  return story.requests.map((r) => excerpt(r.prompt, STORY_PROMPT_EXCERPT_CHARS));
}

/** The image of a clip after the first: the previous clip's last frame (upstream's, else extracted). */
export function lastFrameImage(outcome: { url: string; lastFrameUrl?: string | undefined }): TaskRecord['request']['images'][number] {
  return { filename: 'last-frame.png', size: 0, contentType: null, url: storedImageUrl(lastFrameSource(outcome)) };
}

export interface StoryChainOptions {
  store: Pick<Store, 'get' | 'put' | 'stories' | 'memberJobs'>;
  /** Starts the timer of a job written here (the scheduler). */
  schedule(jobId: string, userId: string): void;
  operator: Pick<OperatorLedger, 'refund'>;
  usage: Pick<UsageLedger, 'refund'>;
  logger: Logger;
  now?: () => number;
}

export function createStoryChain(options: StoryChainOptions) {
  const { store, logger } = options;
  const now = options.now ?? Date.now;

  /**
   * Clip `record` is done with a video and is not the last: writes (once) and schedules the next
   * clip's job and returns its id; `undefined` when the story record is gone (the clip is then
   * posted as a video of its own rather than lost).
   */
  async function advance(record: TaskRecord): Promise<string | undefined> {
    const link = record.story;
    const outcome = record.outcome;
    if (!link || outcome?.kind !== 'video') return undefined;
    const story = await store.stories.get(link.id).catch(absentIfCorrupt);
    const index = link.index + 1;
    const base = story?.requests[index];
    if (!story || !base) {
      logger.warn({ task: record.id, story: link.id }, 'story record missing; posting the clip on its own');
      return undefined;
    }
    const nextId = clipJobId(link.slot, index);
    if (!(await store.get(nextId))) {
      const quota = story.quotas[index];
      const at = now();
      const next: TaskRecord = {
        v: 1,
        id: nextId,
        clientBusinessId: `vidu-${nextId}`,
        state: 'accepted',
        createdAt: at,
        updatedAt: at,
        owner: record.owner,
        // The same card: the next clip edits the reply (or channel message) this one was editing.
        reply: record.reply,
        attachmentSizeLimit: record.attachmentSizeLimit,
        request: { ...base, images: [lastFrameImage(outcome)] },
        nextAt: at,
        attempts: 0,
        polls: 0,
        ...(record.shown === undefined ? {} : { shown: record.shown }),
        ...(record.lastEditAt === undefined ? {} : { lastEditAt: record.lastEditAt }),
        ...(quota?.usageDay ? { quota: { weight: story.clipWeight, day: quota.usageDay, memberLeft: quota.memberLeft, serverLeft: quota.serverLeft } } : {}),
        ...(quota?.operatorDay ? { operatorQuota: { weight: story.clipWeight, day: quota.operatorDay } } : {}),
        story: { ...link, index, next: undefined, clips: [...link.clips, { jobId: record.id, url: outcome.url }] },
      };
      await store.put(next);
      logger.info({ task: nextId, story: link.id, clip: index + 1, of: link.total }, 'story: next clip accepted');
    }
    // The clip now runs under its job: its reservation belongs to that record.
    await store.stories.set(story.id, {
      ...story,
      jobs: story.jobs.map((j, i) => (i === index ? nextId : j)),
      quotas: story.quotas.map((q, i) => (i === index ? null : q)),
      updatedAt: now(),
    });
    options.schedule(nextId, record.owner.userId);
    await remember(record.owner.userId, nextId).catch((err: unknown) => logger.warn({ err, task: nextId }, 'could not index the clip for /vidu-jobs'));
    return nextId;
  }

  async function remember(userId: string, jobId: string): Promise<void> {
    const ids = (await store.memberJobs.get(userId).catch(absentIfCorrupt)) ?? [];
    await store.memberJobs.set(userId, [jobId, ...ids.filter((id) => id !== jobId)].slice(0, MEMBER_JOBS_KEPT));
  }

  /**
   * The chain ended at clip `record`: joined (the last clip posted), failed or stopped. Saved
   * first, then the clips that never ran are given back, so a crash in between refunds too
   * little rather than twice. Idempotent.
   */
  async function ended(record: TaskRecord, how: 'joined' | 'failed' | 'stopped'): Promise<void> {
    const link = record.story;
    if (!link) return;
    const story = await store.stories.get(link.id).catch(absentIfCorrupt);
    if (!story || story.jobs[link.index] !== record.id || story.state !== 'running') return;
    const unused = story.quotas.map((q, i) => (i > link.index ? q : null));
    await store.stories.set(story.id, {
      ...story,
      state: how,
      ...(how === 'joined' ? {} : { stoppedAt: link.index }),
      quotas: story.quotas.map((q, i) => (i >= link.index ? null : q)),
      updatedAt: now(),
    });
    let given = 0;
    for (const [i, q] of unused.entries()) {
      if (!q) continue;
      given += story.clipWeight;
      // Reserved with this run's first clip under the clip's own job id (commands/vidu-story.ts).
      const jobId = clipJobId(link.slot, i);
      if (q.operatorDay) await options.operator.refund(jobId, q.operatorDay).catch((err: unknown) => logger.warn({ err }, 'operator refund failed'));
      if (q.usageDay && story.guildId)
        await options.usage.refund(story.guildId, q.usageDay, jobId).catch((err: unknown) => logger.warn({ err }, 'refund failed'));
    }
    logger.info({ task: record.id, story: story.id, how, clip: link.index + 1, of: link.total, refunded: given }, 'story ended');
  }

  return { advance, ended };
}

export type StoryChain = ReturnType<typeof createStoryChain>;
