import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { startWorld, type World } from '../e2e/world.js';
import { startPrivateRedis } from '../support/redis.js';

let server: HttpServer | undefined;
let world: World | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await world?.close();
  world = undefined;
});

// Node's own fetch: importing the undici package here, before discord.js loads, would break
// discord.js's multipart uploads in this process (two undici copies).
async function get(port: number, path: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, type: String(res.headers.get('content-type')), body: await res.text() };
}

describe('startHttpServer (checks and metrics passed in)', () => {
  it('/healthz is 200 with every check ok', async () => {
    server = await startHttpServer({ port: 0, host: '127.0.0.1', checks: { store: async () => {}, gateway: async () => true }, metrics: () => '' });
    const res = await get(server.port, '/healthz');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ store: 'ok', gateway: 'ok' });
  });

  it('/healthz is 503 naming what is down: a rejection, a false, a check that hangs', async () => {
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      checks: {
        store: () => Promise.reject(new Error('ECONNREFUSED')),
        gateway: async () => false,
        slow: () => new Promise(() => {}),
        fine: async () => {},
      },
      metrics: () => '',
      checkTimeoutMs: 100,
    });
    const res = await get(server.port, '/healthz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ store: 'down', gateway: 'down', slow: 'down', fine: 'ok' });
  });

  it('/metrics serves the text format; other paths 404, other methods 405, HEAD has no body', async () => {
    server = await startHttpServer({ port: 0, host: '127.0.0.1', checks: {}, metrics: () => '# TYPE up gauge\nup 1\n' });
    const metrics = await get(server.port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toBe('# TYPE up gauge\nup 1\n');
    expect((await get(server.port, '/')).status).toBe(404);
    expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
    const head = await get(server.port, '/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

/** Polls `check` until it returns a truthy value (async checks, which the fakes' waitFor does not take). */
async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The value of one exact series line (`name{labels}`), or undefined. */
function series(text: string, line: string): number | undefined {
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
}

describe('HTTP_PORT on a running bot', () => {
  it('serves /healthz and /metrics that count a real job', async () => {
    world = await startWorld({ env: { HTTP_PORT: '0' } });
    const port = world.bot.httpPort!;
    expect(port).toBeGreaterThan(0);
    expect(JSON.parse((await get(port, '/healthz')).body)).toEqual({ store: 'ok', gateway: 'ok' });

    const raw = world.vidu({ options: { model: 'viduq3-pro' } });
    await world.discord.injectInteraction(raw);
    await world.finalMessage(raw.token);
    // The record says done once Discord accepted the final message; metrics follow the step.
    await until(async () => series((await get(port, '/metrics')).body, 'vidu_jobs_finished_total{model="viduq3-pro",outcome="video"}') === 1);

    const text = (await get(port, '/metrics')).body;
    const reads = world.toapis.stats.statusRequests;
    expect(reads).toBeGreaterThan(0);
    expect(series(text, 'vidu_upstream_requests_total{op="submit",outcome="ok"}')).toBe(1);
    expect(series(text, 'vidu_upstream_requests_total{op="read",outcome="ok"}')).toBe(reads);
    expect(series(text, 'vidu_jobs{state="running",model="viduq3-pro"}')).toBe(0);
    expect(series(text, 'vidu_delivery_delay_seconds_count{outcome="video"}')).toBe(1);
    expect(series(text, 'vidu_poll_delay_seconds_count')).toBeGreaterThanOrEqual(reads);
    expect(series(text, 'vidu_scheduler_tasks')).toBe(0);
    expect(series(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts Discord errors by code', async () => {
    world = await startWorld({ env: { HTTP_PORT: '0' } });
    const port = world.bot.httpPort!;
    const raw = world.vidu();
    // The first progress edit of the reply is refused as if the token had expired.
    world.discord.inject({ method: 'PATCH', pathIncludes: '/messages/@original', status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } });
    await world.discord.injectInteraction(raw);
    await until(async () => (series((await get(port, '/metrics')).body, 'vidu_discord_errors_total{code="50027"}') ?? 0) >= 1);
    expect(series((await get(port, '/metrics')).body, 'vidu_discord_errors_total{code="50027"}')).toBe(1);
  });

  it('/healthz says the gateway is down when the session cannot come back', async () => {
    world = await startWorld({ env: { HTTP_PORT: '0' } });
    const port = world.bot.httpPort!;
    expect((await get(port, '/healthz')).status).toBe(200);
    // 4004 (authentication failed) is not resumable: discord.js gives the shard up.
    world.discord.disconnectGateway({ code: 4004 });
    const res = await until(async () => {
      const r = await get(port, '/healthz');
      return r.status === 503 ? r : undefined;
    });
    expect(JSON.parse(res.body)).toEqual({ store: 'ok', gateway: 'down' });
  });
});

describe.skipIf(!process.env.REDIS_URL)('HTTP_PORT with a Redis store (REDIS_URL set)', () => {
  it('/healthz says the store is down while Redis does not answer, and ok again after', async () => {
    const redis = await startPrivateRedis();
    try {
      world = await startWorld({ storeUrl: redis.url, env: { HTTP_PORT: '0' } });
      const port = world.bot.httpPort!;
      expect(JSON.parse((await get(port, '/healthz')).body)).toEqual({ store: 'ok', gateway: 'ok' });
      redis.pause();
      const down = await get(port, '/healthz');
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toEqual({ store: 'down', gateway: 'ok' });
      redis.resume();
      const back = await until(async () => {
        const r = await get(port, '/healthz');
        return r.status === 200 ? r : undefined;
      });
      expect(JSON.parse(back.body)).toEqual({ store: 'ok', gateway: 'ok' });
    } finally {
      redis.resume();
      await world?.close();
      world = undefined;
      await redis.close();
    }
  });
});
