/**
 * `POST /webhooks/toapis`: toapis task events (upstream/toapis-vidu.md §8). The raw body is
 * read (capped), the signature checked over `id.timestamp.body` against every `v1=` value,
 * then: a duplicate event id → 200 and nothing else; a first delivery older than 300 s → 400;
 * otherwise the inbox takes it (→ 200). A bad signature → 401. Nothing changes on a refusal,
 * and no answer echoes what was sent.
 */
import type http from 'node:http';
import type { Logger } from '../log.js';
import { WEBHOOK_MAX_BODY_BYTES, WebhookEventSchema, isStale, verifySignature } from '../webhooks/event.js';
import type { WebhookInbox } from '../webhooks/inbox.js';

/** Path of the receiver. */
export const WEBHOOK_PATH = '/webhooks/toapis';

export interface WebhookHandlerOptions {
  /** Signing secrets accepted (the Token's; during a rotation the new one is enough). */
  secrets: readonly string[];
  inbox: Pick<WebhookInbox, 'accept' | 'seen'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
  /** Default {@link WEBHOOK_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
}

class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const header = (req: http.IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The request handler for {@link WEBHOOK_PATH}. */
export function createWebhookHandler(options: WebhookHandlerOptions) {
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES;

  const reply = (res: http.ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(body);
  };

  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return reply(res, 405, '{"error":"method not allowed"}', { allow: 'POST' });
    let raw: Buffer;
    try {
      raw = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) return reply(res, 413, '{"error":"body too large"}', { connection: 'close' });
      throw err;
    }
    const headers = {
      id: header(req, 'x-toapis-webhook-id'),
      timestamp: header(req, 'x-toapis-webhook-timestamp'),
      signature: header(req, 'x-toapis-webhook-signature'),
    };
    const refusal = verifySignature(headers, raw, options.secrets);
    if (refusal !== undefined) {
      options.logger.warn({ reason: refusal }, 'webhook delivery refused');
      return reply(res, refusal === 'signature' ? 401 : 400, refusal === 'signature' ? '{"error":"bad signature"}' : '{"error":"missing webhook headers"}');
    }
    const eventId = headers.id!;
    if (await options.inbox.seen(eventId)) return reply(res, 200, '{"ok":true,"duplicate":true}');
    if (isStale(headers.timestamp!, now())) {
      options.logger.warn({ event: eventId, timestamp: Number(headers.timestamp) }, 'webhook delivery refused: stale timestamp');
      return reply(res, 400, '{"error":"stale timestamp"}');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, 400, '{"error":"body is not JSON"}');
    }
    const parsed = WebhookEventSchema.safeParse(json);
    if (!parsed.success || parsed.data.id !== eventId) {
      options.logger.warn({ event: eventId }, 'webhook delivery refused: body does not fit the event schema');
      return reply(res, 400, '{"error":"not a task event"}');
    }
    const outcome = await options.inbox.accept(parsed.data);
    return reply(res, 200, JSON.stringify({ ok: true, ...(outcome === 'duplicate' ? { duplicate: true } : {}) }));
  };
}
