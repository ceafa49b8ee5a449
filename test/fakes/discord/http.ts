/**
 * The fake's REST pipeline: record the call, parse the body, apply an injected fault, match the
 * route, check auth, the official schema and the simulated rate limit, run the handler, answer.
 */
import type http from 'node:http';
import { RESTJSONErrorCodes } from 'discord-api-types/v10';
import { DiscordFailure, errors, fail, formErrors, type Reply } from './errors.js';
import { applyRateLimit, type BucketKey } from './ratelimits.js';
import { specProblems } from './spec.js';
import type { DiscordState } from './state.js';
import type { FakeCall, FaultSpec } from './types.js';
import { parseBody, readBody, serveCdn, type UploadedFile } from './uploads.js';

export interface RouteContext {
  call: FakeCall;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: UploadedFile[];
}

export interface RouteDef {
  method: string;
  segments: string[];
  name: string;
  auth: 'bot' | 'none';
  /** Bucket key for the optional rate-limit simulation. */
  bucket?: (ctx: RouteContext) => BucketKey;
  handle: (ctx: RouteContext) => Reply | Promise<Reply>;
}

/** A route for `METHOD /template` (`:name` segments become `ctx.params.name`). */
export function route(method: string, template: string, auth: RouteDef['auth'], handle: RouteDef['handle'], bucket?: RouteDef['bucket']): RouteDef {
  const def: RouteDef = { method, segments: template.split('/').filter(Boolean), name: template, auth, handle };
  if (bucket) def.bucket = bucket;
  return def;
}

/** Answers 500 for an error in the fake itself and keeps it for `internalErrors`. */
export function onInternalError(s: DiscordState, error: unknown, res: http.ServerResponse): void {
  const err = error instanceof Error ? error : new Error(String(error));
  s.internalErrors.push(err);
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: '500: Internal Server Error', code: 0 }));
  }
}

export async function handleRequest(s: DiscordState, routes: RouteDef[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', s.origin);
  if (/^\/(ephemeral-)?attachments\//.test(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
    serveCdn(s, req, res, url);
    return;
  }
  const rawBody = await readBody(req);
  const method = (req.method ?? 'GET').toUpperCase();
  const versionMatch = /^\/api(?:\/v(\d+))?(\/.*)?$/.exec(url.pathname);
  const relative = versionMatch?.[2] ?? '/';
  const segments = relative
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => safeDecode(s));
  const path = `/${segments.join('/')}`;

  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (key === 'authorization' || value === undefined) continue;
    headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  const authorization = req.headers.authorization;
  const auth: FakeCall['auth'] = authorization === undefined ? 'none' : authorization === `Bot ${s.botToken}` ? 'bot' : 'invalid';

  const call: FakeCall = {
    seq: ++s.seq,
    atMs: s.now(),
    method,
    path,
    route: null,
    query: Object.fromEntries(url.searchParams),
    headers,
    auth,
    body: undefined,
    files: [],
    status: 0,
    responseBody: undefined,
    injected: false,
  };
  s.calls.push(call);

  let body: unknown;
  let files: UploadedFile[] = [];
  let parseFailure: DiscordFailure | null = null;
  try {
    ({ body, files } = await parseBody(req.headers['content-type'], rawBody));
  } catch (error) {
    if (error instanceof DiscordFailure) parseFailure = error;
    else throw error;
  }
  call.body = body;
  call.files = files.map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, size: f.bytes.length }));

  const route =
    versionMatch && (versionMatch[1] === undefined || versionMatch[1] === '10' || versionMatch[1] === '9') ? matchRoute(routes, method, segments) : null;
  if (route) call.route = `${route.def.method} /${route.def.segments.join('/')}`;
  s.changed();

  const fault = takeFault(s, method, path, files.length > 0);
  if (fault && !fault.afterApply) {
    call.injected = true;
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      call.status = -1;
      s.changed();
      req.socket.destroy();
      return;
    }
    respond(s, res, call, {
      status: fault.status ?? 500,
      body: fault.body ?? { message: '500: Internal Server Error', code: 0 },
      headers: fault.headers ?? {},
    });
    return;
  }

  if (!route) {
    respond(s, res, call, { status: 404, body: { message: '404: Not Found', code: 0 } });
    return;
  }

  let reply: Reply;
  const ctx: RouteContext = { call, params: route.params, query: url.searchParams, body, files };
  try {
    if (parseFailure) throw parseFailure;
    if (route.def.auth === 'bot' && auth !== 'bot') errors.unauthorized();
    // Discord's official OpenAPI schema for this route's body, before the fake's own checks.
    const problems = s.specValidation ? specProblems(`${route.def.method} ${route.def.name}`, body) : [];
    if (problems.length > 0)
      fail(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, 'Invalid Form Body', { errors: formErrors(problems.map((p) => [p.path, p.code, p.message])) });
    const limit = route.def.bucket ? applyRateLimit(s, route.def.bucket(ctx)) : null;
    if (limit?.limited) {
      reply = limit.limited;
    } else {
      reply = await route.def.handle(ctx);
      if (limit) reply = { ...reply, headers: { ...limit.headers, ...reply.headers } };
    }
  } catch (error) {
    if (!(error instanceof DiscordFailure)) throw error;
    reply = error.reply;
  }
  if (fault?.afterApply === 'hang') {
    call.injected = true;
    call.responseBody = reply.body;
    s.changed();
    return;
  }
  respond(s, res, call, reply);
}

function respond(s: DiscordState, res: http.ServerResponse, call: FakeCall, reply: Reply): void {
  call.status = reply.status;
  call.responseBody = reply.body;
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
  } else {
    headers['content-type'] = 'application/json';
    res.writeHead(reply.status, headers);
    res.end(JSON.stringify(reply.body));
  }
  s.changed();
}

function matchRoute(routes: RouteDef[], method: string, segments: string[]): { def: RouteDef; params: Record<string, string> } | null {
  for (const def of routes) {
    if (def.method !== method || def.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    def.segments.forEach((part, i) => {
      const actual = segments[i] ?? '';
      if (part.startsWith(':')) params[part.slice(1)] = actual;
      else if (part !== actual) ok = false;
    });
    if (ok) return { def, params };
  }
  return null;
}

function takeFault(s: DiscordState, method: string, path: string, hasFiles: boolean): FaultSpec | null {
  for (const fault of s.faults) {
    if (fault.remaining <= 0) continue;
    if (fault.spec.withFiles !== undefined && fault.spec.withFiles !== hasFiles) continue;
    if (fault.spec.method && fault.spec.method.toUpperCase() !== method) continue;
    if (!path.includes(fault.spec.pathIncludes)) continue;
    fault.remaining -= 1;
    return fault.spec;
  }
  return null;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
