import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server for tests that stop and resume the store (SIGSTOP / SIGCONT), so the
 * shared server other test files use is never disturbed. Needs `redis-server` on PATH.
 */
export async function startPrivateRedis(): Promise<{ url: string; pause(): void; resume(): void; close(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}/0`;
  // Wait until it accepts connections.
  const { createConnection } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async close() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * Tests that empty a Redis database of their own (FLUSHDB, or a store that must start with no
 * pending jobs), by offset: each offset names one such test. See {@link redisDatabaseUrl}.
 */
export const REDIS_DB_OFFSET = { storeFaults: 1, shards: 2, pendingRace: 3 } as const;

/**
 * `REDIS_URL` with its database number moved by `offset` (mod 16, Redis's default count), for a
 * test that needs a database of its own. Derived rather than fixed so a run against `…/7` uses
 * `…/8`, `…/9` and never a database another checkout's run (on `…/0`) may be emptying.
 * Throws when `REDIS_URL` is unset: call it only in a `describe.skipIf(!process.env.REDIS_URL)`.
 */
export function redisDatabaseUrl(offset: (typeof REDIS_DB_OFFSET)[keyof typeof REDIS_DB_OFFSET]): string {
  const base = process.env.REDIS_URL;
  if (!base) throw new Error('redisDatabaseUrl needs REDIS_URL');
  const url = new URL(base);
  const db = Number(url.pathname.replace(/^\//, '') || '0');
  if (!Number.isInteger(db) || db < 0) throw new Error(`REDIS_URL names no database number: ${base}`);
  url.pathname = `/${(db + offset) % 16}`;
  return url.toString();
}
