import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { visibleAttachments } from '../fakes/discord.js';
import { messageText, startWorld, type World } from '../e2e/world.js';
import { REDIS_DB_OFFSET, redisDatabaseUrl, startPrivateRedis } from '../support/redis.js';

let world: World | undefined;
let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
afterEach(async () => {
  redis?.resume();
  await world?.close();
  await redis?.close();
  world = undefined;
  redis = undefined;
});

describe.skipIf(!process.env.REDIS_URL)('Redis store (REDIS_URL set)', () => {
  it('runs a job end to end on redis://', async () => {
    // Its own database, emptied first: pending jobs of an earlier run must not resume here.
    const url = redisDatabaseUrl(REDIS_DB_OFFSET.storeFaults);
    execFileSync('redis-cli', ['-u', url, 'FLUSHDB']);
    world = await startWorld({ storeUrl: url });
    const raw = world.vidu({ prompt: `redis job ${Date.now()}` });
    await world.discord.injectInteraction(raw);
    const message = await world.finalMessage(raw.token);
    expect(visibleAttachments(message)).toHaveLength(1);
  });

  it('the store becoming unavailable: new commands get a clear error, the pending job resumes when it returns', async () => {
    redis = await startPrivateRedis();
    world = await startWorld({ storeUrl: redis.url, plan: { queuedMs: 500, runMs: 6_000 } });
    const first = world.vidu({ prompt: 'pending through the outage' });
    await world.discord.injectInteraction(first);
    await world.discord.waitFor(() => world!.toapis.stats.tasksCreated === 1 || undefined);

    redis.pause();
    const second = world.vidu({ prompt: 'arrives during the outage' });
    await world.discord.injectInteraction(second);
    // The member gate lives in the store: it cannot admit the job, so the answer is an immediate
    // ephemeral refusal (the interaction callback), not an edit of an acknowledged reply.
    const refused = await world.discord.waitFor(
      () => world!.discord.callbacks(second.id).find((c) => (c.data as { content?: string } | undefined)?.content?.includes('storage is unavailable')),
      { timeoutMs: 15_000 },
    );
    const data = refused.data as { content: string; flags: number };
    expect(data.content).toContain('nothing was started');
    expect(data.flags & 64).toBe(64);
    expect(world.toapis.stats.submitRequests).toBe(1);

    redis.resume();
    const message = await world.finalMessage(first.token, 30_000);
    expect(visibleAttachments(message)).toHaveLength(1);
    expect(messageText(message)).toContain('✅ Done');
    expect(world.toapis.stats.tasksCreated).toBe(1);
  }, 60_000);
});
