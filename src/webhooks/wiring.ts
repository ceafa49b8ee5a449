/**
 * Push completion for one process, wired from its parts: the repositories over the store, the
 * inbox, the HTTP route, the engine's hooks and the fallback polling. `src/main.ts` only calls
 * {@link createPushCompletion}.
 */
import type { Logger } from '../log.js';
import { WEBHOOK_PATH, createWebhookHandler } from '../http/webhook.js';
import { createJobIndexRepo, createPushedResultRepo, createWebhookEventRepo, type WebhookFamilies } from '../store/webhooks.js';
import type { PushHooks } from '../tasks/engine.js';
import { owningGuildId, type TaskRecord } from '../tasks/record.js';
import type { DurationHistory } from '../tasks/schedule.js';
import { pushFallbackDelayMs, type PushFallback } from '../tasks/schedule-push.js';
import type { TaskRepository } from '../store/index.js';
import { createWebhookInbox } from './inbox.js';

export interface PushCompletionOptions {
  secret: string;
  store: Pick<TaskRepository, 'get'> & WebhookFamilies;
  /** Whether this process owns a job (sharding); default all. */
  owns?(entry: { guildId: string | null }): boolean;
  /** Runs a job's next step now on this process. */
  wakeHere(record: TaskRecord): void;
  /** Hands a job to the shard that owns it. */
  handOver(record: TaskRecord): void;
  /** The store's atomic take-once of a key (src/settings/counters.ts `claim`). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  history: DurationHistory;
  fallback: PushFallback;
  logger: Logger;
  now: () => number;
  random: () => number;
}

export function createPushCompletion(options: PushCompletionOptions) {
  const events = createWebhookEventRepo(options.store, options.claim);
  const index = createJobIndexRepo(options.store);
  const pushed = createPushedResultRepo(options.store);
  const owns = options.owns ?? (() => true);

  const inbox = createWebhookInbox({
    events,
    index,
    pushed,
    logger: options.logger,
    now: options.now,
    async wake(jobId) {
      const record = await options.store.get(jobId);
      if (!record || record.state === 'done') return;
      if (owns({ guildId: owningGuildId(record.owner) })) options.wakeHere(record);
      else options.handOver(record);
    },
  });

  const delayFor = (record: TaskRecord): number => {
    const elapsedMs = record.upstream ? options.now() - record.upstream.submittedAt : 0;
    return pushFallbackDelayMs(elapsedMs, options.fallback, options.random, options.history.estimate(record.request)?.p50Ms);
  };

  const hooks: PushHooks = {
    remember: (record) => index.remember(record.id, { businessId: record.clientBusinessId, ...(record.upstream ? { taskId: record.upstream.taskId } : {}) }),
    async take(record) {
      const found = await pushed.get(record.id);
      if (!found) return undefined;
      await pushed.delete(record.id).catch(() => undefined);
      return found.task;
    },
    has: async (record) => (await pushed.get(record.id)) !== undefined,
    firstLookMs: delayFor,
  };

  return {
    routes: { [WEBHOOK_PATH]: createWebhookHandler({ secrets: [options.secret], inbox, logger: options.logger, now: options.now }) },
    hooks,
    /** The engine's `pollDelayMs` while webhooks are on. */
    pollDelayMs: (record: TaskRecord) => delayFor(record),
  };
}
