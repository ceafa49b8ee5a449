/**
 * Which tasks this process owns when sharded (src/shard.ts sets SHARDS/SHARD_COUNT, which the
 * Client reads), and the hand-over of a task that reached the wrong shard. Tasks of a guild
 * install belong to their guild's shard; DMs and user installs to shard 0.
 */
import { ShardClientUtil, type Client } from 'discord.js';
import type { Logger } from '../log.js';
import { owningGuildId, type TaskRecord } from '../tasks/record.js';

/** The client event a shard receives when another shard hands it a task. */
export const ADOPT_EVENT = 'viduAdopt';

export interface ShardOwnership {
  /** Shards this process runs; `undefined` = all of them (unsharded or a single process). */
  shardIds: number[] | undefined;
  shardCount: number;
  /** Whether this process owns a task; `undefined` when it owns every task. */
  owns: ((entry: { guildId: string | null }) => boolean) | undefined;
  /** Asks the owning shard to schedule `record` (through the sharding manager). */
  handOver(record: TaskRecord): void;
  /** Calls `adopt` for every task another shard hands to this one. */
  onAdopt(adopt: (id: string, userId: string) => void): void;
}

export function createShardOwnership(client: Client, logger: Logger): ShardOwnership {
  const shardCount = client.options.shardCount ?? 1;
  const shardIds = Array.isArray(client.options.shards) && client.options.shards.length < shardCount ? client.options.shards : undefined;
  const shardOf = (guildId: string | null) => (guildId ? ShardClientUtil.shardIdForGuildId(guildId, shardCount) : 0);
  return {
    shardIds,
    shardCount,
    owns: shardIds ? (entry) => shardIds.includes(shardOf(entry.guildId)) : undefined,
    handOver(record) {
      const shard = shardOf(owningGuildId(record.owner));
      const context = { id: record.id, userId: record.owner.userId };
      if (!client.shard) {
        logger.warn({ task: record.id, shard }, 'no sharding manager to hand the task to; its shard resumes it at its next start');
        return;
      }
      // The function runs in the other process, serialised: it cannot see ADOPT_EVENT, hence the literal.
      client.shard
        .broadcastEval((c, t) => void c.emit('viduAdopt', t.id, t.userId), { shard, context })
        .catch((err: unknown) => logger.warn({ err, task: record.id, shard }, 'hand-over failed; its shard resumes it at its next start'));
    },
    onAdopt(adopt) {
      client.on(ADOPT_EVENT, adopt);
    },
  };
}
