/**
 * The upstream budgets of one process, built from `TOAPIS_RATE_GROUP`: the documented submit and
 * status-query buckets (shared by every shard through Redis when the store is Redis, with this
 * process's share as the local fallback) and the upload cap (local, this process's share).
 */
import type { Logger } from '../log.js';
import type { OpRateLimiter } from './client.js';
import {
  RATE_GROUPS,
  UPLOAD_RATE_PER_SECOND,
  createRateLimiter,
  createTokenBucket,
  type BucketBudget,
  type FeedbackRateLimiter,
  type RateGroup,
} from './ratelimit.js';
import { REDIS_BUCKET_PREFIX, createRedisTokenBucket, type RedisTokenBucket } from './ratelimit-redis.js';
import type { RetryOp } from './retry.js';

export interface UpstreamBudgetsOptions {
  group: RateGroup;
  /** Redis URL to share the buckets through; none = local buckets only. */
  redisUrl?: string;
  /** This process's fraction of the account's budget (its shards / all shards), for local buckets. Default 1. */
  share?: number;
  /** Redis key prefix of the shared buckets. Default {@link REDIS_BUCKET_PREFIX}. */
  keyPrefix?: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Called after every grant with how long it waited, ms (metrics). */
  onWait?(op: RetryOp, waitedMs: number): void;
  now?: () => number;
}

export interface UpstreamBudgets {
  /** For {@link UpstreamClientOptions.rateLimits}. */
  rateLimits: Record<RetryOp, OpRateLimiter>;
  /** Whether the buckets are shared through Redis. */
  shared: boolean;
  close(): Promise<void>;
}

const scaled = (budget: BucketBudget, share: number): BucketBudget => ({
  ratePerSecond: budget.ratePerSecond * share,
  burst: Math.max(1, Math.floor(budget.burst * share)),
});

/** Builds the budgets; a Redis that cannot be reached leaves the local buckets (and logs once). */
export async function createUpstreamBudgets(options: UpstreamBudgetsOptions): Promise<UpstreamBudgets> {
  const group = RATE_GROUPS[options.group];
  const share = options.share ?? 1;
  const now = options.now ?? Date.now;
  const prefix = options.keyPrefix ?? REDIS_BUCKET_PREFIX;
  const local = {
    submit: createTokenBucket({ ...scaled(group.submit, share), now }),
    read: createTokenBucket({ ...scaled(group.query, share), now }),
  };
  const shared: RedisTokenBucket[] = [];
  let submit: FeedbackRateLimiter = local.submit;
  let read: FeedbackRateLimiter = local.read;
  if (options.redisUrl) {
    try {
      const [s, r] = await Promise.all([
        createRedisTokenBucket({ url: options.redisUrl, key: `${prefix}:submit`, ...group.submit, fallback: local.submit, logger: options.logger }),
        createRedisTokenBucket({ url: options.redisUrl, key: `${prefix}:query`, ...group.query, fallback: local.read, logger: options.logger }),
      ]);
      shared.push(s, r);
      submit = s;
      read = r;
    } catch (err) {
      options.logger?.warn({ err }, 'shared upstream rate limit unavailable; using this process’s share');
    }
  }
  const upload = createRateLimiter({ ratePerSecond: UPLOAD_RATE_PER_SECOND * share, now });
  const timed = (op: RetryOp, limiter: OpRateLimiter): OpRateLimiter => ({
    async acquire(signal) {
      const asked = now();
      await limiter.acquire(signal);
      options.onWait?.(op, now() - asked);
    },
    ...(limiter.feedback ? { feedback: (info) => limiter.feedback!(info) } : {}),
  });
  return {
    rateLimits: { submit: timed('submit', submit), read: timed('read', read), upload: timed('upload', upload) },
    shared: shared.length > 0,
    async close() {
      await Promise.all(shared.map((b) => b.close()));
    },
  };
}
