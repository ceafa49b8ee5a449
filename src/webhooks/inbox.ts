/**
 * What an authentic webhook event does: its id is persisted first (a duplicate then does
 * nothing), its job is found by `client_business_id` or task id, the task state it reports is
 * stored for the job, and the job is woken — here when this process owns it, otherwise by its
 * owner (the `wake` callback decides). The owner's next step reads the stored state instead of
 * the status endpoint; its delivery is exactly once like any other.
 */
import type { Logger } from '../log.js';
import type { JobIndexRepo, PushedResultRepo, WebhookEventRepo } from '../store/webhooks.js';
import { FINAL_EVENT_TYPES, taskFromEvent, type WebhookEvent } from './event.js';

/** What became of one event. */
export type InboxOutcome = 'accepted' | 'duplicate' | 'ignored' | 'unknown_task';

export interface WebhookInboxOptions {
  events: WebhookEventRepo;
  index: JobIndexRepo;
  pushed: PushedResultRepo;
  /** Runs the job's next step now (on its owning shard). */
  wake(jobId: string): Promise<void>;
  logger: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
}

export function createWebhookInbox(options: WebhookInboxOptions) {
  const now = options.now ?? Date.now;
  return {
    /** Whether this event id was already taken (checked before the staleness rule). */
    seen: (eventId: string) => options.events.seen(eventId),
    async accept(event: WebhookEvent): Promise<InboxOutcome> {
      const taskId = event.data?.task_id;
      if (!(await options.events.claim(event.id, now(), taskId))) return 'duplicate';
      if (!FINAL_EVENT_TYPES.has(event.type) || !event.data) {
        options.logger.info({ event: event.id, type: event.type }, 'webhook event acknowledged (not a task result)');
        return 'ignored';
      }
      const jobId = await options.index.find({ taskId: event.data.task_id, businessId: event.data.client_business_id });
      if (jobId === undefined) {
        options.logger.info({ event: event.id, upstreamTask: event.data.task_id }, 'webhook event for a task this bot does not know');
        return 'unknown_task';
      }
      const task = taskFromEvent(event);
      if (task) await options.pushed.put(jobId, event.id, task, now());
      else options.logger.warn({ event: event.id, task: jobId }, 'webhook event does not fit the status schema; its job reads the status instead');
      await options.wake(jobId);
      options.logger.info({ event: event.id, task: jobId, type: event.type }, 'webhook event accepted');
      return 'accepted';
    },
  };
}

export type WebhookInbox = ReturnType<typeof createWebhookInbox>;
