/**
 * Files in and out: multipart request bodies, uploaded parts turned into stored attachments
 * (size and count limits), user uploads registered by tests, and the signed CDN that serves them.
 */
import { createHmac } from 'node:crypto';
import type http from 'node:http';
import { snowflake } from '../interactions.js';
import { errors } from './errors.js';
import { MAX_ATTACHMENTS } from './payloads.js';
import type { DiscordState } from './state.js';
import type { AddAttachmentInput, FakeStoredAttachment } from './types.js';
import { asRecord } from './util.js';

/** One file part of a multipart request. */
export interface UploadedFile {
  field: string;
  /** `n` of `files[n]`: the attachment placeholder id. */
  index: string | null;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** JSON, or multipart with `payload_json` and `files[n]` parts; 50109 for invalid JSON. */
export async function parseBody(contentType: string | undefined, raw: Buffer): Promise<{ body: unknown; files: UploadedFile[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Blob([new Uint8Array(raw)]), { headers: { 'content-type': contentType ?? '' } }).formData();
    let body: unknown;
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') {
          try {
            body = JSON.parse(value);
          } catch {
            errors.invalidJson();
          }
        }
        continue;
      }
      const index = /^files\[(\d+)\]$/.exec(field)?.[1] ?? null;
      files.push({
        field,
        index,
        filename: value.name,
        contentType: value.type,
        bytes: Buffer.from(await value.arrayBuffer()),
      });
    }
    return { body, files };
  }
  const text = raw.toString('utf8');
  try {
    return { body: JSON.parse(text), files: [] };
  } catch {
    if (type.startsWith('application/json')) errors.invalidJson();
    return { body: text, files: [] };
  }
}

function guessContentType(filename: string): string | null {
  const ext = filename.toLowerCase().split('.').pop() ?? '';
  const map: Record<string, string> = {
    mp4: 'video/mp4',
    mov: 'video/quicktime',
    webm: 'video/webm',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    webp: 'image/webp',
    txt: 'text/plain; charset=utf-8',
    json: 'application/json',
  };
  return map[ext] ?? null;
}

/** Discord replaces whitespace in uploaded file names with underscores. */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'file';
  return base.replace(/\s+/g, '_') || 'file';
}

/**
 * Turns uploaded parts into stored attachments. Checks the per-attachment size limit
 * (413 / 40005) and the attachment count (30015). `files[n]` matches `attachments[].id == n`,
 * which carries description/title (discord.js sends no filename there).
 */
export function attachmentsFromUpload(
  s: DiscordState,
  files: UploadedFile[],
  payloadAttachments: unknown[],
  sizeLimit: number,
  channelId: string,
  ephemeral: boolean,
): FakeStoredAttachment[] {
  for (const file of files) if (file.bytes.length > sizeLimit) errors.entityTooLarge();
  if (files.length > MAX_ATTACHMENTS) errors.tooManyAttachments();
  const meta = new Map<string, Record<string, unknown>>();
  for (const raw of payloadAttachments) {
    const a = asRecord(raw);
    meta.set(String(a.id), a);
  }
  return files.map((file) => {
    const m = (file.index !== null ? meta.get(file.index) : undefined) ?? {};
    const id = snowflake();
    const filename = sanitizeFilename(typeof m.filename === 'string' ? m.filename : file.filename);
    const typeFromPart = file.contentType && file.contentType !== 'application/octet-stream' ? file.contentType : null;
    const stored: FakeStoredAttachment = {
      id,
      filename,
      size: file.bytes.length,
      contentType: typeFromPart ?? guessContentType(filename) ?? file.contentType ?? null,
      bytes: file.bytes,
      description: typeof m.description === 'string' ? m.description : null,
      title: typeof m.title === 'string' ? m.title : null,
      durationSecs: typeof m.duration_secs === 'number' ? m.duration_secs : null,
      width: null,
      height: null,
      ephemeral,
      expired: false,
      cdnPath: `/${ephemeral ? 'ephemeral-attachments' : 'attachments'}/${channelId}/${id}/${encodeURIComponent(filename)}`,
    };
    s.cdn.set(id, stored);
    return stored;
  });
}

export function serveCdn(s: DiscordState, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  const parts = url.pathname.split('/');
  const attachmentId = parts[3] ?? null;
  const stored = attachmentId ? s.cdn.get(attachmentId) : undefined;
  const ex = url.searchParams.get('ex') ?? '';
  const is = url.searchParams.get('is') ?? '';
  const hm = url.searchParams.get('hm') ?? '';
  const expected = stored ? createHmac('sha256', s.signingKey).update(`${stored.cdnPath}|${ex}|${is}`).digest('hex') : '';
  const fresh = ex !== '' && Number.parseInt(ex, 16) * 1000 >= s.now();
  const ok = stored && !stored.expired && url.pathname === stored.cdnPath && hm === expected && fresh;
  const status = ok ? 200 : 404;
  s.downloads.push({ atMs: s.now(), path: url.pathname, attachmentId, status });
  s.changed();
  if (!ok || !stored) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('This content is no longer available.');
    return;
  }
  res.writeHead(200, {
    'content-type': stored.contentType ?? 'application/octet-stream',
    'content-length': String(stored.bytes.length),
  });
  res.end(req.method === 'HEAD' ? undefined : stored.bytes);
}

/** Registers a user's upload (ATTACHMENT option, modal File Upload) on the CDN. */
export function storeUserAttachment(s: DiscordState, input: AddAttachmentInput): FakeStoredAttachment {
  const bytes = typeof input.bytes === 'string' ? Buffer.from(input.bytes) : Buffer.from(input.bytes);
  const id = snowflake();
  const filename = sanitizeFilename(input.filename);
  const ephemeral = input.ephemeral ?? true;
  const channelId = input.channelId ?? s.defaultChannelId;
  const stored: FakeStoredAttachment = {
    id,
    filename,
    size: bytes.length,
    contentType: input.contentType ?? null,
    bytes,
    description: null,
    title: null,
    durationSecs: input.durationSecs ?? null,
    width: input.width ?? null,
    height: input.height ?? null,
    ephemeral,
    expired: false,
    cdnPath: `/${ephemeral ? 'ephemeral-attachments' : 'attachments'}/${channelId}/${id}/${encodeURIComponent(filename)}`,
  };
  s.cdn.set(id, stored);
  return stored;
}
