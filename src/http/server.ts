/**
 * The operator's HTTP endpoint (`HTTP_PORT`): `GET /healthz` and `GET /metrics`. node:http only;
 * nothing here knows about Discord or the store — the checks and the metrics text are passed in.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics.js';

/** One dependency check: resolves when it is reachable, rejects (or resolves `false`) when not. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a check may also just resolve (e.g. `store.ping()`)
export type HealthCheck = () => Promise<boolean | void>;

export interface HttpServerOptions {
  /** TCP port; 0 picks a free one (see {@link HttpServer.port}). */
  port: number;
  /** Interface to listen on. Default all (`::`/`0.0.0.0`). */
  host?: string;
  /** Named checks for `/healthz`, e.g. `{ store, gateway }`. */
  checks: Record<string, HealthCheck>;
  /** The `/metrics` body (Prometheus text format). */
  metrics(): string | Promise<string>;
  /** A check slower than this counts as down, ms. Default 2000. */
  checkTimeoutMs?: number;
  /** More routes by exact path (e.g. the webhook receiver); each handles its own methods. */
  routes?: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>>;
}

export interface HttpServer {
  /** The port actually bound. */
  port: number;
  close(): Promise<void>;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      check(),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    return result !== false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: 200 `{"store":"ok","gateway":"ok"}` when every check passes, otherwise 503 with the
 * same object naming what is `down`. `/metrics`: 200 in the Prometheus text format. Anything else
 * is 404; methods other than GET/HEAD are 405.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const checkTimeoutMs = options.checkTimeoutMs ?? 2_000;

  const send = (res: http.ServerResponse, status: number, contentType: string, body: string, head: boolean) => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(head ? undefined : body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const head = req.method === 'HEAD';
    const route = options.routes?.[path];
    if (route) return route(req, res);
    if (path !== '/healthz' && path !== '/metrics') return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
    }
    if (path === '/metrics') return send(res, 200, PROMETHEUS_CONTENT_TYPE, await options.metrics(), head);
    const names = Object.keys(options.checks);
    const results = await Promise.all(names.map((n) => runCheck(options.checks[n]!, checkTimeoutMs)));
    const body = Object.fromEntries(names.map((n, i) => [n, results[i] ? 'ok' : 'down']));
    return send(res, results.every(Boolean) ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(body), head);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
