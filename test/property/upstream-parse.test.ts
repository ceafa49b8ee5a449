import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamClient, type UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamError, errorFromResponse } from '../../src/upstream/errors.js';
import { BalanceResponseSchema, UpstreamTaskSchema, UploadResponseSchema, taskPhase } from '../../src/upstream/schemas.js';
import { upstreamJsonArb } from './arbitraries.js';

/**
 * Whatever toapis answers — any JSON, any status, any Retry-After, bytes that are not JSON —
 * the client resolves with a parsed value or rejects with a typed UpstreamError; it never throws
 * anything else and never crashes on the body.
 */
const API_KEY = 'sk-property-parse-0123456789';
interface Answer {
  status: number;
  body: string;
  retryAfter?: string;
  contentType: string;
}
let answer: Answer = { status: 200, body: '{}', contentType: 'application/json' };
let server: http.Server;
let client: UpstreamClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, {
        'content-type': answer.contentType,
        ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
      });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const none = { maxRetries: 0 };
  // 429s and 503 rate_limit_unavailable are retried on top of maxRetries, honouring Retry-After:
  // the property is about what a call ends with, so its waits are skipped.
  client = createUpstreamClient({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: API_KEY,
    retry: { submit: none, read: none, upload: none },
    sleep: () => Promise.resolve(),
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const retryAfterArb = fc.option(
  fc.oneof(
    fc.nat().map(String),
    fc.string({ maxLength: 20 }),
    fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  ),
  { nil: undefined },
);
const statusArb = fc.oneof(
  fc.constant(200),
  fc.constantFrom(201, 204, 400, 401, 402, 403, 404, 408, 422, 429, 500, 502, 503, 504),
  fc.integer({ min: 200, max: 599 }),
);
const bodyArb = fc.oneof(
  upstreamJsonArb.map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', '{"id":', '<html>502</html>', 'null', '[]', '{"success":false}', '{"success":true,"data":null}'),
);

describe('upstream response parsing (property)', () => {
  it('the schemas never throw on arbitrary JSON (safeParse answers)', () => {
    fc.assert(
      fc.property(upstreamJsonArb, (json) => {
        for (const schema of [UpstreamTaskSchema, UploadResponseSchema, BalanceResponseSchema]) {
          const parsed = schema.safeParse(json);
          if (parsed.success && schema === UpstreamTaskSchema) {
            // A parsed task always has a phase, and a completed one has its video URL.
            const task = UpstreamTaskSchema.parse(json);
            if (taskPhase(task.status) === 'completed') expect(task.result?.data[0]?.url).toMatch(/^https?:/);
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('errorFromResponse builds a typed error for any status, header and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 999 }), bodyArb, retryAfterArb, (status, bodyText, retryAfter) => {
        const err = errorFromResponse({ status, headers: { 'retry-after': retryAfter }, bodyText, path: '/v1/x', now: 1_700_000_000_000, redact: [API_KEY] });
        expect(err).toBeInstanceOf(UpstreamError);
        expect(err.status).toBe(status);
        if (err.retryAfterMs !== undefined) expect(err.retryAfterMs).toBeGreaterThanOrEqual(0);
        expect(err.message).not.toContain(API_KEY);
      }),
      { numRuns: 3_000 },
    );
  });

  it('every client call resolves or rejects with an UpstreamError, over real HTTP', async () => {
    await fc.assert(
      fc.asyncProperty(
        statusArb,
        bodyArb,
        retryAfterArb,
        fc.constantFrom('application/json', 'text/html', 'application/json; charset=utf-8'),
        fc.constantFrom('getTask', 'submit', 'upload', 'balance'),
        async (status, body, retryAfter, contentType, call) => {
          answer = { status, body, contentType, ...(retryAfter === undefined ? {} : { retryAfter }) };
          const run = () => {
            switch (call) {
              case 'getTask':
                return client.getTask('video_1');
              case 'submit':
                return client.submit({ model: 'viduq3-turbo', prompt: 'x', duration: 5, resolution: '720p', audio: true, seed: 1, client_business_id: 'p' });
              case 'upload':
                return client.uploadImage({ bytes: Buffer.from([0x89, 0x50]), filename: 'a.png', mimeType: 'image/png' });
              case 'balance':
                return client.getBalance();
            }
          };
          try {
            await run();
            expect(status).toBeGreaterThanOrEqual(200);
            expect(status).toBeLessThan(300);
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(UpstreamError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
