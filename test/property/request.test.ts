import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestError } from '../../src/generation/errors.js';
import { ASPECT_RATIO_SUGGESTIONS } from '../../src/generation/models.js';
import { buildGenerationRequest, toSubmitBody } from '../../src/generation/request.js';
import { createUpstreamClient, type UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamBadRequestError } from '../../src/upstream/errors.js';
import { startFakeToapis, type FakeToapis } from '../fakes/toapis.js';
import { rawOptionsArb } from './arbitraries.js';

const DOCUMENTED_RATIOS: ReadonlySet<string> = new Set(ASPECT_RATIO_SUGGESTIONS);

/**
 * Request mapping against the fake toapis (which validates submits by the strictest reading of
 * the docs): whatever /vidu options a member sends, `buildGenerationRequest` either refuses them
 * with a typed `RequestError`, or the body `toSubmitBody` makes from them is accepted upstream.
 */
const API_KEY = 'sk-property-key-0123456789';
let toapis: FakeToapis;
let client: UpstreamClient;

beforeAll(async () => {
  toapis = await startFakeToapis({ apiKey: API_KEY });
  client = createUpstreamClient({ baseUrl: toapis.url, apiKey: API_KEY, retry: { submit: { maxRetries: 0 } } });
});
afterAll(() => toapis.close());

describe('request mapping (property)', () => {
  it('a request the bot accepts is a body toapis accepts; everything else is a RequestError before any submit', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(rawOptionsArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (raw, seed) => {
        n += 1;
        let request;
        const before = toapis.stats.submitRequests;
        try {
          request = buildGenerationRequest(raw, { random: () => (seed % 1000) / 1000 });
        } catch (err) {
          expect(err).toBeInstanceOf(RequestError);
          expect(toapis.stats.submitRequests).toBe(before);
          return;
        }
        const urls = request.images.map((_, i) => `${toapis.url}/files/uploads/upload_p${n}x${i}.png`);
        const body = toSubmitBody(request, urls, `prop-${n}`);
        try {
          await client.submit(body);
        } catch (err) {
          // KNOWN DIVERGENCE (reported, a product decision): the bot deliberately accepts any W:H
          // ("Q3 supports any ratio", combined toapis page); the fake takes the stricter reading
          // (only the five listed ratios). Everything else must be accepted as built.
          if (err instanceof UpstreamBadRequestError && body.aspect_ratio !== undefined && !DOCUMENTED_RATIOS.has(body.aspect_ratio)) {
            expect(err.upstreamMessage).toMatch(/^aspect_ratio must be one of/);
            return;
          }
          if (err instanceof UpstreamBadRequestError) {
            throw new Error(`toapis refused a body the bot built: ${err.upstreamMessage ?? err.message}\n${JSON.stringify(body).slice(0, 400)}`, {
              cause: err,
            });
          }
          throw err;
        }
        expect(toapis.stats.submitRequests).toBe(before + 1);
      }),
      { numRuns: 600 },
    );
  });
});
