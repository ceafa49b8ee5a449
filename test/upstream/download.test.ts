import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadError,
  DownloadHttpError,
  DownloadNetworkError,
  DownloadTimeoutError,
  DownloadTooLargeError,
  DownloadTruncatedError,
  downloadBytes,
  downloadToFile,
  isRetryableDownload,
} from '../../src/upstream/download.js';
import { startFakeToapis, type FakeToapis } from '../fakes/toapis.js';

const START = Date.UTC(2026, 0, 15, 12, 0, 0);
const BIG = Buffer.alloc(256 * 1024, 7);

/** A plain file server with the awkward cases the fake toapis does not cover. */
async function startFileServer() {
  const sockets = new Set<Socket>();
  let chunkedBytesSent = 0;
  const server = http.createServer((req, res) => {
    switch (req.url?.split('?')[0]) {
      case '/chunked': {
        // No Content-Length: the cap must be enforced while streaming. Sends "forever".
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const pump = () => {
          while (!res.destroyed && chunkedBytesSent < 50 * 1024 * 1024) {
            chunkedBytesSent += 16 * 1024;
            if (!res.write(Buffer.alloc(16 * 1024, 1))) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      case '/big':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG.length) });
        res.end(BIG);
        return;
      case '/hang':
        return; // never answers
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '1000' });
        res.write(Buffer.alloc(10));
        return; // never finishes
      case '/redirect':
        res.writeHead(302, { location: '/big' });
        res.end();
        return;
      case '/busy':
        res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' });
        res.end('busy');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('nope');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    chunkedBytesSent: () => chunkedBytesSent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let fake: FakeToapis;
let files: Awaited<ReturnType<typeof startFileServer>>;
let agent: Agent;
let dir: string;
let clock = START;
let videoUrl: string;
let taskId: string;

beforeAll(async () => {
  fake = await startFakeToapis({ now: () => clock, plan: { queuedMs: 0, runMs: 1_000 } });
  files = await startFileServer();
  agent = new Agent();
  dir = await mkdtemp(join(tmpdir(), 'vidu-download-'));
  // Create one completed task through the fake's own API.
  const res = await agent.request({
    origin: fake.url,
    path: '/v1/videos/generations',
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-key', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'viduq3-turbo', prompt: 'waves', client_business_id: 'dl-1' }),
  });
  taskId = ((await res.body.json()) as { id: string }).id;
  clock += 1_000;
  videoUrl = `${fake.url}/files/videos/${taskId}.mp4`;
});

afterAll(async () => {
  await fake.close();
  await files.close();
  await agent.destroy();
  await rm(dir, { recursive: true, force: true });
});

const opts = (extra: object = {}) => ({ maxBytes: 1_000_000, timeoutMs: 5_000, dispatcher: agent, ...extra });

describe('downloadBytes', () => {
  it('returns the exact bytes', async () => {
    const bytes = await downloadBytes(videoUrl, opts());
    expect(bytes.equals(fake.videoBytes(taskId))).toBe(true);
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('refuses a Content-Length over maxBytes before reading', async () => {
    const err = await downloadBytes(`${files.url}/big`, opts({ maxBytes: 1_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTooLargeError);
    expect((err as DownloadTooLargeError).limitBytes).toBe(1_000);
    expect((err as DownloadTooLargeError).sizeBytes).toBe(BIG.length);
    expect(isRetryableDownload(err)).toBe(false);
  });

  it('aborts a chunked body as soon as it passes maxBytes', async () => {
    const err = await downloadBytes(`${files.url}/chunked`, opts({ maxBytes: 100_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTooLargeError);
    expect((err as DownloadTooLargeError).sizeBytes).toBeUndefined();
    // The server stopped well before its 50 MiB: we hung up early.
    expect(files.chunkedBytesSent()).toBeLessThan(10 * 1024 * 1024);
  });

  it('maps 404 to DownloadHttpError (not retryable) and hides the query string', async () => {
    const err = await downloadBytes(`${files.url}/missing.png?ex=abc&hm=signature123`, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadHttpError);
    expect((err as DownloadHttpError).status).toBe(404);
    expect((err as Error).message).not.toContain('signature123');
    expect((err as DownloadError).url).toBe(`${files.url}/missing.png`);
    expect(isRetryableDownload(err)).toBe(false);
  });

  it('maps 503 to a retryable DownloadHttpError with Retry-After', async () => {
    const err = await downloadBytes(`${files.url}/busy`, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadHttpError);
    expect((err as DownloadHttpError).retryAfterMs).toBe(7_000);
    expect(isRetryableDownload(err)).toBe(true);
  });

  it('does not serve a video before the task completes', async () => {
    const res = await agent.request({
      origin: fake.url,
      path: '/v1/videos/generations',
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-key', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'viduq3-turbo', prompt: 'not yet', client_business_id: 'dl-2' }),
    });
    const { id } = (await res.body.json()) as { id: string };
    const err = await downloadBytes(`${fake.url}/files/videos/${id}.mp4`, opts()).catch((e: unknown) => e);
    expect((err as DownloadHttpError).status).toBe(404);
  });

  it('detects a body cut before Content-Length', async () => {
    fake.inject({ path: 'video', fault: { truncateVideo: true } });
    const err = await downloadBytes(videoUrl, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTruncatedError);
    expect((err as DownloadTruncatedError).expectedBytes).toBe(fake.videoBytes(taskId).length);
    expect((err as DownloadTruncatedError).receivedBytes).toBeLessThan(fake.videoBytes(taskId).length);
    expect(isRetryableDownload(err)).toBe(true);
  });

  it('times out a download that hangs before headers', async () => {
    const started = Date.now();
    const err = await downloadBytes(`${files.url}/hang`, opts({ timeoutMs: 200 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTimeoutError);
    expect(isRetryableDownload(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out a body that stalls mid-way', async () => {
    const err = await downloadBytes(`${files.url}/slow-body`, opts({ timeoutMs: 200 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTimeoutError);
  });

  it('maps a reset to DownloadNetworkError', async () => {
    fake.inject({ path: 'video', fault: { reset: true } });
    const err = await downloadBytes(videoUrl, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadNetworkError);
    expect(isRetryableDownload(err)).toBe(true);
  });

  it('follows a redirect', async () => {
    const bytes = await downloadBytes(`${files.url}/redirect`, opts());
    expect(bytes.equals(BIG)).toBe(true);
  });

  it("rejects with the caller's abort reason, not a DownloadError", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await downloadBytes(`${files.url}/slow-body`, opts({ signal: controller.signal })).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DownloadError);
    expect((err as Error).name).toBe('AbortError');
    expect(isRetryableDownload(err)).toBe(false);
  });
});

describe('downloadToFile', () => {
  const leftovers = async () => (await readdir(dir)).filter((name) => name !== 'keep');

  it('streams to disk and reports bytes and content type', async () => {
    const target = join(dir, 'video.mp4');
    const result = await downloadToFile(videoUrl, target, opts());
    expect(result).toEqual({ bytes: fake.videoBytes(taskId).length, contentType: 'video/mp4' });
    expect((await readFile(target)).equals(fake.videoBytes(taskId))).toBe(true);
    expect(await leftovers()).toEqual(['video.mp4']);
    await rm(target);
  });

  it('leaves no file when Content-Length is over the cap', async () => {
    const err = await downloadToFile(`${files.url}/big`, join(dir, 'big.bin'), opts({ maxBytes: 1_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTooLargeError);
    expect(await leftovers()).toEqual([]);
  });

  it('leaves no file when a chunked body passes the cap mid-stream', async () => {
    const err = await downloadToFile(`${files.url}/chunked`, join(dir, 'chunked.bin'), opts({ maxBytes: 100_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTooLargeError);
    expect((err as DownloadTooLargeError).limitBytes).toBe(100_000);
    expect(await leftovers()).toEqual([]);
  });

  it('leaves no file when the body is truncated', async () => {
    fake.inject({ path: 'video', fault: { truncateVideo: true } });
    const err = await downloadToFile(videoUrl, join(dir, 'cut.mp4'), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadTruncatedError);
    expect(await leftovers()).toEqual([]);
  });

  it('leaves no file on 404 or timeout', async () => {
    await expect(downloadToFile(`${files.url}/missing`, join(dir, 'm.bin'), opts())).rejects.toBeInstanceOf(DownloadHttpError);
    await expect(downloadToFile(`${files.url}/slow-body`, join(dir, 's.bin'), opts({ timeoutMs: 200 }))).rejects.toBeInstanceOf(DownloadTimeoutError);
    expect(await leftovers()).toEqual([]);
  });
});

describe('isRetryableDownload', () => {
  it.each([
    [new DownloadHttpError('http://x/a', 429), true],
    [new DownloadHttpError('http://x/a', 500), true],
    [new DownloadHttpError('http://x/a', 408), true],
    [new DownloadHttpError('http://x/a', 403), false],
    [new DownloadHttpError('http://x/a', 404), false],
    [new DownloadTooLargeError('http://x/a', 10), false],
    [new DownloadTimeoutError('http://x/a', 10), true],
    [new DownloadNetworkError('http://x/a', new Error('reset')), true],
    [new DownloadTruncatedError('http://x/a', 10, 5), true],
    [new Error('other'), false],
  ])('%s → %s', (err, expected) => {
    expect(isRetryableDownload(err)).toBe(expected);
  });
});
