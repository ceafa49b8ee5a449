/**
 * A faithful fake of Discord's REST API (v10) and gateway for end-to-end tests that drive a real
 * discord.js `Client`. See /work/shared/discord/testing.md for the wiring and
 * /work/shared/discord/platform.md for the rules enforced here.
 *
 * Principle: a fake that is kinder than Discord is a defect. Every documented limit a generation
 * bot can hit (3 s callback window, 15 min token, 10 MiB per attachment, ≤10 attachments,
 * content ≤2000, Components V2 rules, 5 followups, channel permissions, DMs closed) answers with
 * the HTTP status and JSON error code Discord uses.
 *
 * Layout of this file:
 *   1. public types and options
 *   2. error replies (one helper per Discord error code)
 *   3. message payload validation (pure functions)
 *   4. the FakeDiscord class: HTTP plumbing, REST routes, CDN, gateway, test helpers
 *   5. startFakeDiscord()
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  DEFAULT_ATTACHMENT_SIZE_LIMIT,
  DEFAULT_IDS,
  DEFAULT_MEMBER_PERMISSIONS,
  PERMISSIONS,
  rawUser,
  snowflake,
  snowflakeTimestampMs,
  type RawAttachment,
  type RawInteraction,
  type RawMessage,
  type RawUser,
} from './interactions.js';
import { specProblems } from './discord/spec.js';

// ───────────────────────────────────────────────────────────────────────────────────────────────
// 1. Public types and options
// ───────────────────────────────────────────────────────────────────────────────────────────────

/** What the bot may do in a channel. Omitted fields mean "allowed". */
export interface ChannelAccess {
  /** VIEW_CHANNEL. Denied → every channel route answers 403 / 50001 Missing Access. */
  view?: boolean;
  /** SEND_MESSAGES. Denied → POST messages answers 403 / 50013 Missing Permissions. */
  send?: boolean;
  /** ATTACH_FILES. Denied → any upload through a channel route answers 403 / 50013. */
  attach?: boolean;
  /** READ_MESSAGE_HISTORY. Denied → GET message(s) answers 403 / 50013. */
  readHistory?: boolean;
}

export interface FakeChannelSpec {
  /** Default: {@link DEFAULT_IDS.channelId} for the first channel of the first guild, else fresh. */
  id?: string;
  /** Default `general`. */
  name?: string;
  /** Channel type; default 0 (GUILD_TEXT). */
  type?: number;
  /** Initial access; default everything allowed. */
  access?: ChannelAccess;
}

export interface FakeGuildSpec {
  /** Default: {@link DEFAULT_IDS.guildId} for the first guild, else a fresh snowflake. */
  id?: string;
  /** Default `Test Guild`. */
  name?: string;
  /** Boost tier; 2 → 50 MiB and 3 → 100 MiB channel-upload limit, else `attachmentSizeLimit`. */
  premiumTier?: 0 | 1 | 2 | 3;
  /** Default `en-US`. */
  preferredLocale?: string;
  /**
   * Whether the bot is a member (guild install). `false` simulates a user-installed app in a
   * server it is not in: no GUILD_CREATE, and channel routes answer 403 / 50001.
   * Default true.
   */
  botMember?: boolean;
  /** Default one text channel the bot can post in. */
  channels?: FakeChannelSpec[];
  /** Human members besides the bot; default one user with id {@link DEFAULT_IDS.userId}. */
  members?: Partial<RawUser>[];
}

/** A simple fixed-window rate limit, answered with Discord's 429 shape and headers. */
export interface RateLimitSpec {
  limit: number;
  windowMs: number;
}

export interface FakeDiscordOptions {
  /**
   * Check every request body against Discord's official OpenAPI schemas (./discord/spec.ts) and
   * answer 400/50035 "Invalid Form Body" when one would be refused. Default false for now: the
   * generated schemas type int64 bitfields (`default_member_permissions`) as numbers, while
   * Discord takes the documented strings, so the bot's command registration is refused.
   */
  specValidation?: boolean;
  /**
   * Default `TEST-bot-token`. Must not start with `Bot`/`Bearer` (any case): discord.js strips
   * that prefix before sending, so the fake would then see a different token.
   */
  botToken?: string;
  /** Default {@link DEFAULT_IDS.applicationId}. */
  applicationId?: string;
  /** Default: same as `applicationId` (true for every modern application). */
  botUserId?: string;
  /** Default `vidu-bot`. */
  botUsername?: string;
  /** Default: one guild with one text channel the bot can post in. */
  guilds?: FakeGuildSpec[];
  /** Interaction token lifetime, counted from injection. Default 15 min. */
  tokenLifetimeMs?: number;
  /** Initial-callback deadline, counted from injection. Default 3000 ms. */
  callbackWindowMs?: number;
  /** Per-attachment limit for channel routes (interaction routes use the interaction's own
   * `attachment_size_limit`). Default 10_485_760 bytes. */
  attachmentSizeLimit?: number;
  /**
   * Followups allowed per interaction (`40094` beyond). Real Discord applies 5 only to
   * user-installed apps outside the guild; the suite enforces it always. Default 5.
   */
  followupLimit?: number;
  /** `shards` returned by GET /gateway/bot. Default 1. */
  shardCount?: number;
  /** `session_start_limit.max_concurrency`. Default 1 (discord.js then spaces identifies 5 s). */
  maxConcurrency?: number;
  /** HELLO heartbeat interval. Default 41_250 ms. */
  heartbeatIntervalMs?: number;
  /**
   * Privileged intents enabled "in the developer portal" (GuildMembers 1<<1, GuildPresences
   * 1<<8, MessageContent 1<<15). IDENTIFY asking for others closes with 4014. Default 0.
   */
  privilegedIntents?: number;
  /** Lifetime of signed CDN URLs (`ex`). Default 24 h. */
  attachmentUrlLifetimeMs?: number;
  /** Optional bucket simulation (headers + 429s). Off by default. */
  rateLimits?: { interactionWebhook?: RateLimitSpec; channel?: RateLimitSpec };
  /** Clock for token expiry, callback window and URL expiry. Default `Date.now`. */
  now?: () => number;
}

/** Summary of one uploaded file part. */
export interface FileSummary {
  /** Form field name, e.g. `files[0]`. */
  field: string;
  filename: string;
  contentType: string;
  size: number;
}

/** One REST request as the fake saw it. */
export interface FakeCall {
  seq: number;
  atMs: number;
  method: string;
  /** Decoded path below `/api/v10`, e.g. `/webhooks/123/tok/messages/@original`. */
  path: string;
  /** Route template that handled it (e.g. `PATCH /webhooks/:app/:token/messages/:message`),
   * or null for an unknown route. */
  route: string | null;
  query: Record<string, string>;
  /** Request headers; `authorization` is removed (see `auth`). */
  headers: Record<string, string>;
  auth: 'bot' | 'invalid' | 'none';
  /** JSON body, or the parsed `payload_json` of a multipart body. */
  body: unknown;
  files: FileSummary[];
  /** Response status; 0 while the request is in flight, -1 for an injected socket reset. */
  status: number;
  responseBody: unknown;
  /** Answered by a `fake.inject()` fault. */
  injected: boolean;
}

/** An attachment stored by the fake (uploaded by the bot, or added as a user upload). */
export interface FakeStoredAttachment {
  id: string;
  filename: string;
  size: number;
  /** Null when unknown (Discord omits `content_type` then). */
  contentType: string | null;
  /** The bytes; empty for attachments imported from a raw payload. */
  bytes: Buffer;
  description: string | null;
  title: string | null;
  durationSecs: number | null;
  width: number | null;
  height: number | null;
  /** Ephemeral uploads (command options, modal uploads, ephemeral messages). */
  ephemeral: boolean;
  /** Set by `expireAttachment()`: the CDN answers 404. */
  expired: boolean;
  /** CDN path without signature, e.g. `/attachments/<channel>/<id>/<name>`. */
  cdnPath: string;
}

/** Snapshot of a message before an edit. */
export interface FakeMessageRevision {
  atMs: number;
  content: string;
  flags: number;
  embeds: unknown[];
  components: unknown[];
  attachmentIds: string[];
}

/** A message in the fake's store. */
export interface FakeMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  /** How it was created. `external`: imported from an injected payload (user message, button host). */
  source: 'callback' | 'followup' | 'channel' | 'external';
  /** Interaction whose token created it (callback/followup). */
  interactionId: string | null;
  type: number;
  content: string;
  flags: number;
  embeds: unknown[];
  components: unknown[];
  attachments: FakeStoredAttachment[];
  messageReference: unknown;
  nonce: string | null;
  createdAtMs: number;
  editedAtMs: number | null;
  /** Number of successful edits. */
  editCount: number;
  history: FakeMessageRevision[];
  /** Flag 64, fixed at creation. */
  ephemeral: boolean;
  /** Deferred (flag 128) and not yet edited. */
  loading: boolean;
  deleted: boolean;
  deletedBy: 'bot' | 'moderator' | null;
}

/** One POST to an interaction's callback route, including rejected ones. */
export interface FakeCallback {
  atMs: number;
  type: number | null;
  data: unknown;
  withResponse: boolean;
  files: FileSummary[];
  /** HTTP status the fake answered. */
  status: number;
  /** Discord error code when rejected. */
  errorCode: number | null;
}

/** An interaction the fake delivered, with everything the bot did with its token. */
export interface FakeInteraction {
  id: string;
  token: string;
  applicationId: string;
  type: number;
  commandType: number | null;
  commandName: string | null;
  guildId: string | null;
  channelId: string;
  userId: string;
  injectedAtMs: number;
  /** Token expiry (401 / 50027 on webhook routes afterwards). */
  expiresAtMs: number;
  /** Initial-callback deadline (404 / 10062 afterwards). */
  callbackDeadlineMs: number;
  attachmentSizeLimit: number;
  raw: RawInteraction;
  /** Callback type that acknowledged it, or null. */
  acknowledgedWith: number | null;
  callbacks: FakeCallback[];
  /** `@original`: the response message, or the component's message after type 6/7. */
  originalMessageId: string | null;
  followupMessageIds: string[];
  /** For component / modal-from-component interactions: the message the component is on. */
  sourceMessageId: string | null;
  autocompleteChoices: unknown[] | null;
  modal: unknown;
}

/** A fault returned instead of the real handling. */
export interface FaultSpec {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Substring of the decoded path below `/api/v10`, e.g. `/messages/@original`. */
  pathIncludes: string;
  /** How many matching requests to fault. Default 1. */
  times?: number;
  /** HTTP status. Default 500. */
  status?: number;
  /** JSON body. Default Discord's 500 body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket instead of answering (undici sees "other side closed"). */
  reset?: boolean;
  /** Wait before answering. */
  delayMs?: number;
  /** Match only requests that carry files (true) or carry none (false). Default: either. */
  withFiles?: boolean;
  /**
   * `'hang'`: handle the request for real (the change is applied), then never answer — the
   * caller sees a hung request, as when a process dies between Discord's write and its reply.
   */
  afterApply?: 'hang';
}

export interface FaultHandle {
  /** Matching requests still to be faulted. */
  readonly remaining: number;
  cancel(): void;
}

/** An IDENTIFY the gateway received. */
export interface IdentifyRecord {
  atMs: number;
  intents: number;
  shard: [number, number];
  tokenValid: boolean;
  properties: unknown;
  compress: unknown;
  largeThreshold: unknown;
  presence: unknown;
}

/** A stored application command, as returned by the API. */
export interface FakeCommand {
  id: string;
  application_id: string;
  version: string;
  type: number;
  name: string;
  description: string;
  guild_id?: string;
  [key: string]: unknown;
}

export interface CommandPutRecord {
  atMs: number;
  /** `global` or the guild id. */
  scope: string;
  body: unknown;
  status: number;
}

export interface CdnDownload {
  atMs: number;
  path: string;
  attachmentId: string | null;
  status: number;
}

export interface WaitOptions {
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** Poll interval besides change events. Default 15 ms. */
  intervalMs?: number;
  /** Shown in the timeout error. */
  description?: string;
}

export interface CallMatcher {
  method?: string;
  pathIncludes?: string;
  path?: RegExp;
  status?: number;
  /** Only calls with `seq` greater than this. */
  afterSeq?: number;
}

export interface AddAttachmentInput {
  filename: string;
  bytes: Buffer | Uint8Array | string;
  /** Omit to simulate Discord leaving `content_type` out. */
  contentType?: string;
  width?: number;
  height?: number;
  durationSecs?: number;
  /** Channel in the URL path; default the first channel. */
  channelId?: string;
  /** Default true (uploads through ATTACHMENT options and modals are ephemeral). */
  ephemeral?: boolean;
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// 2. Error replies
// ───────────────────────────────────────────────────────────────────────────────────────────────

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown inside handlers; turned into the reply. */
class DiscordFailure extends Error {
  constructor(readonly reply: Reply) {
    super(`Discord ${reply.status}`);
  }
}

function fail(status: number, code: number, message: string, extra?: Record<string, unknown>): never {
  throw new DiscordFailure({ status, body: { message, code, ...extra } });
}

type FormErrorEntry = [path: (string | number)[], code: string, message: string];

function formErrors(entries: FormErrorEntry[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, code, message] of entries) {
    let node = root;
    for (const key of path) {
      const k = String(key);
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    const list = (node._errors ??= []) as unknown[];
    list.push({ code, message });
  }
  return root;
}

const errors = {
  unauthorized: (): never => fail(401, 0, '401: Unauthorized'),
  unknownChannel: (): never => fail(404, 10003, 'Unknown Channel'),
  unknownMessage: (): never => fail(404, 10008, 'Unknown Message'),
  unknownUser: (): never => fail(404, 10013, 'Unknown User'),
  unknownApplication: (): never => fail(404, 10002, 'Unknown Application'),
  unknownWebhook: (): never => fail(404, 10015, 'Unknown Webhook'),
  unknownInteraction: (): never => fail(404, 10062, 'Unknown interaction'),
  alreadyAcknowledged: (): never => fail(400, 40060, 'Interaction has already been acknowledged.'),
  invalidWebhookToken: (): never => fail(401, 50027, 'Invalid Webhook Token'),
  missingAccess: (): never => fail(403, 50001, 'Missing Access'),
  missingPermissions: (): never => fail(403, 50013, 'Missing Permissions'),
  cannotDm: (): never => fail(403, 50007, 'Cannot send messages to this user'),
  cannotEditOthers: (): never => fail(403, 50005, 'Cannot edit a message authored by another user'),
  entityTooLarge: (): never => fail(413, 40005, 'Request entity too large'),
  tooManyAttachments: (): never => fail(400, 30015, 'Maximum number of attachments in a message reached (10)'),
  followupLimit: (): never => fail(400, 40094, 'This interaction has hit the maximum number of follow up messages'),
  emptyMessage: (): never => fail(400, 50006, 'Cannot send an empty message'),
  invalidJson: (): never => fail(400, 50109, 'The request body contains invalid JSON.'),
  tooManyCommands: (): never => fail(400, 30032, 'Maximum number of application commands reached'),
  invalidForm: (entries: FormErrorEntry[]): never => fail(400, 50035, 'Invalid Form Body', { errors: formErrors(entries) }),
};

// ───────────────────────────────────────────────────────────────────────────────────────────────
// 3. Message payload validation (platform.md §6, §9)
// ───────────────────────────────────────────────────────────────────────────────────────────────

const FLAG_SUPPRESS_EMBEDS = 1 << 2;
const FLAG_EPHEMERAL = 1 << 6;
const FLAG_LOADING = 1 << 7;
const FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12;
const FLAG_VOICE_MESSAGE = 1 << 13;
const FLAG_COMPONENTS_V2 = 1 << 15;

/** Flags a bot may set when creating a message (callback type 4, followup, channel POST). */
const CREATE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_VOICE_MESSAGE | FLAG_COMPONENTS_V2;
/** Flags a bot may send on edit (EPHEMERAL is accepted and ignored: it cannot change). */
const EDIT_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2 | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS;

const MAX_CONTENT_CHARS = 2000;
const MAX_EMBEDS = 10;
const MAX_EMBED_TOTAL_CHARS = 6000;
const MAX_ATTACHMENTS = 10;
const MAX_V2_COMPONENTS = 40;
const MAX_V2_TEXT_CHARS = 4000;

/** Component types allowed at the top level of a Components V2 message. */
const V2_TOP_LEVEL = new Set([1, 9, 10, 12, 13, 14, 17]);

interface UploadedFile {
  field: string;
  /** `n` of `files[n]`: the attachment placeholder id. */
  index: string | null;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

function chars(value: unknown): number {
  return typeof value === 'string' ? [...value].length : 0;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function validateEmbeds(embeds: unknown[], errs: FormErrorEntry[]): void {
  if (embeds.length > MAX_EMBEDS) errs.push([['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.']);
  let total = 0;
  embeds.forEach((raw, i) => {
    const e = asRecord(raw);
    const author = asRecord(e.author);
    const footer = asRecord(e.footer);
    const fields = asArray(e.fields);
    const check = (path: (string | number)[], value: unknown, max: number): void => {
      if (chars(value) > max) errs.push([path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`]);
    };
    check(['embeds', i, 'title'], e.title, 256);
    check(['embeds', i, 'description'], e.description, 4096);
    check(['embeds', i, 'author', 'name'], author.name, 256);
    check(['embeds', i, 'footer', 'text'], footer.text, 2048);
    if (fields.length > 25) errs.push([['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
    total += chars(e.title) + chars(e.description) + chars(author.name) + chars(footer.text);
    fields.forEach((rawField, j) => {
      const f = asRecord(rawField);
      check(['embeds', i, 'fields', j, 'name'], f.name, 256);
      check(['embeds', i, 'fields', j, 'value'], f.value, 1024);
      total += chars(f.name) + chars(f.value);
    });
  });
  if (total > MAX_EMBED_TOTAL_CHARS) {
    errs.push([['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000']);
  }
}

function validateButtonOrSelect(c: Record<string, unknown>, path: (string | number)[], errs: FormErrorEntry[]): void {
  const type = c.type;
  const customId = c.custom_id;
  const needsCustomId = type === 2 ? c.style !== 5 && c.style !== 6 : [3, 5, 6, 7, 8].includes(Number(type));
  if (needsCustomId && (typeof customId !== 'string' || chars(customId) < 1 || chars(customId) > 100)) {
    errs.push([[...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
  }
  if (type === 2) {
    if (chars(c.label) > 80) errs.push([[...path, 'label'], 'BASE_TYPE_MAX_LENGTH', 'Must be 80 or fewer in length.']);
    if (c.style === 5 && (typeof c.url !== 'string' || chars(c.url) > 512)) {
      errs.push([[...path, 'url'], 'BASE_TYPE_MAX_LENGTH', 'Must be 512 or fewer in length.']);
    }
  } else {
    if (asArray(c.options).length > 25) {
      errs.push([[...path, 'options'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
    }
    if (chars(c.placeholder) > 150) {
      errs.push([[...path, 'placeholder'], 'BASE_TYPE_MAX_LENGTH', 'Must be 150 or fewer in length.']);
    }
  }
}

function validateActionRow(row: Record<string, unknown>, path: (string | number)[], errs: FormErrorEntry[]): void {
  const children = asArray(row.components).map(asRecord);
  const buttons = children.filter((c) => c.type === 2).length;
  const selects = children.length - buttons;
  if (children.length === 0 || buttons > 5 || (selects > 0 && children.length > 1)) {
    errs.push([[...path, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width']);
  }
  children.forEach((c, i) => validateButtonOrSelect(c, [...path, 'components', i], errs));
}

/** Walks V2 components: counts them, sums Text Display characters, collects `attachment://` names. */
function walkV2(
  component: Record<string, unknown>,
  path: (string | number)[],
  state: { count: number; textChars: number; attachmentRefs: Set<string> },
  errs: FormErrorEntry[],
): void {
  state.count += 1;
  const type = component.type;
  if (type === 10) state.textChars += chars(component.content);
  if (type === 1) validateActionRow(component, path, errs);
  const ref = (media: unknown, kind: 'any' | 'attachment'): void => {
    const url = asRecord(media).url;
    if (typeof url !== 'string') return;
    if (url.startsWith('attachment://')) state.attachmentRefs.add(url.slice('attachment://'.length));
    else if (kind === 'attachment') {
      errs.push([[...path, 'file', 'url'], 'UNFURLED_MEDIA_ITEM_INVALID', 'File components only accept attachment:// URLs']);
    }
  };
  if (type === 11) ref(component.media, 'any');
  if (type === 13) ref(component.file, 'attachment');
  if (type === 12) {
    const items = asArray(component.items);
    if (items.length < 1 || items.length > 10) {
      errs.push([[...path, 'items'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 10 in length.']);
    }
    for (const item of items) ref(asRecord(item).media, 'any');
  }
  if (type !== 1) {
    asArray(component.components).forEach((child, i) => walkV2(asRecord(child), [...path, 'components', i], state, errs));
  }
  if (component.accessory) walkV2(asRecord(component.accessory), [...path, 'accessory'], state, errs);
}

/** `attachment://name` references of a V2 message's components. */
function v2AttachmentRefs(components: unknown[]): Set<string> {
  const state = { count: 0, textChars: 0, attachmentRefs: new Set<string>() };
  components.forEach((c, i) => walkV2(asRecord(c), ['components', i], state, []));
  return state.attachmentRefs;
}

/**
 * Validates the final state of a message (after applying a create or edit payload).
 * Throws the Discord error the real API returns.
 */
function validateMessageState(state: {
  content: string;
  flags: number;
  embeds: unknown[];
  components: unknown[];
  attachments: { filename: string }[];
  poll?: unknown;
  stickers?: unknown;
  requireNonEmpty: boolean;
}): void {
  if (state.attachments.length > MAX_ATTACHMENTS) errors.tooManyAttachments();
  const errs: FormErrorEntry[] = [];
  if (chars(state.content) > MAX_CONTENT_CHARS) {
    errs.push([['content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CONTENT_CHARS} or fewer in length.`]);
  }
  validateEmbeds(state.embeds, errs);
  const isV2 = (state.flags & FLAG_COMPONENTS_V2) !== 0;
  if (isV2) {
    // Components V2: content, embeds, poll and stickers are rejected (platform.md §6).
    if (state.content !== '') {
      errs.push([
        ['content'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ]);
    }
    if (state.embeds.length > 0) {
      errs.push([
        ['embeds'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ]);
    }
    if (state.poll) {
      errs.push([['poll'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', "The 'poll' field cannot be used when using MessageFlags.IS_COMPONENTS_V2"]);
    }
    if (asArray(state.stickers).length > 0) {
      errs.push([
        ['sticker_ids'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'sticker_ids' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ]);
    }
    const walk = { count: 0, textChars: 0, attachmentRefs: new Set<string>() };
    state.components.forEach((raw, i) => {
      const c = asRecord(raw);
      if (!V2_TOP_LEVEL.has(Number(c.type))) {
        errs.push([['components', i, 'type'], 'UNION_TYPE_CHOICES', `Value of field "type" must be one of (${[...V2_TOP_LEVEL].join(', ')}).`]);
      }
      walkV2(c, ['components', i], walk, errs);
    });
    if (walk.count > MAX_V2_COMPONENTS) {
      errs.push([['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_V2_COMPONENTS} or fewer in length (nested components included).`]);
    }
    if (walk.textChars > MAX_V2_TEXT_CHARS) {
      errs.push([['components'], 'MAX_TEXT_DISPLAY_LENGTH_EXCEEDED', `Text display content must be ${MAX_V2_TEXT_CHARS} or fewer characters in total.`]);
    }
    const names = new Set(state.attachments.map((a) => a.filename));
    for (const name of walk.attachmentRefs) {
      if (!names.has(name)) {
        errs.push([['components'], 'UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND', `attachment://${name} does not match any attachment`]);
      }
    }
  } else {
    if (state.components.length > 5) {
      errs.push([['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.']);
    }
    state.components.forEach((raw, i) => {
      const c = asRecord(raw);
      if (c.type !== 1) {
        // V2 component types without the flag are rejected.
        errs.push([
          ['components', i, 'type'],
          'UNION_TYPE_CHOICES',
          'Value of field "type" must be one of (1). Set MessageFlags.IS_COMPONENTS_V2 to use other top-level components.',
        ]);
        return;
      }
      validateActionRow(c, ['components', i], errs);
    });
  }
  if (errs.length > 0) errors.invalidForm(errs);
  if (
    state.requireNonEmpty &&
    state.content === '' &&
    state.embeds.length === 0 &&
    state.components.length === 0 &&
    state.attachments.length === 0 &&
    !state.poll &&
    asArray(state.stickers).length === 0
  ) {
    errors.emptyMessage();
  }
}

/**
 * Which stored attachments a user actually sees. In a Components V2 message, uploaded files are
 * hidden unless a component references them with `attachment://<filename>` (platform.md §6).
 */
export function visibleAttachments(message: FakeMessage): FakeStoredAttachment[] {
  if ((message.flags & FLAG_COMPONENTS_V2) === 0) return message.attachments;
  const refs = v2AttachmentRefs(message.components);
  return message.attachments.filter((a) => refs.has(a.filename));
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
function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'file';
  return base.replace(/\s+/g, '_') || 'file';
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Application command validation (platform.md §4)
// ───────────────────────────────────────────────────────────────────────────────────────────────

const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function longestLocalized(base: unknown, localizations: unknown): number {
  let max = chars(base);
  for (const value of Object.values(asRecord(localizations))) max = Math.max(max, chars(value));
  return max;
}

function validateOptionList(options: unknown[], path: (string | number)[], errs: FormErrorEntry[], depth: number): number {
  let total = 0;
  if (options.length > 25) errs.push([[...path], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
  let seenOptional = false;
  const names = new Set<string>();
  options.forEach((raw, i) => {
    const o = asRecord(raw);
    const p = [...path, i];
    const name = typeof o.name === 'string' ? o.name : '';
    if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
      errs.push([[...p, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid']);
    }
    if (names.has(name)) errs.push([[...p, 'name'], 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS', 'Option name already exists']);
    names.add(name);
    const desc = o.description;
    if (typeof desc !== 'string' || chars(desc) < 1 || chars(desc) > 100) {
      errs.push([[...p, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
    }
    total += longestLocalized(o.name, o.name_localizations) + longestLocalized(o.description, o.description_localizations);
    const type = Number(o.type);
    if (type === 1 || type === 2) {
      if (depth >= 2 || (type === 2 && depth >= 1)) {
        errs.push([[...p, 'type'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommands nested too deep']);
      }
      total += validateOptionList(asArray(o.options), [...p, 'options'], errs, depth + 1);
      return;
    }
    if (o.required === true && seenOptional) {
      errs.push([[...p, 'required'], 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', 'Required options must be placed before non-required options']);
    }
    if (o.required !== true) seenOptional = true;
    const choices = asArray(o.choices);
    if (choices.length > 25) errs.push([[...p, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
    if (choices.length > 0 && o.autocomplete === true) {
      errs.push([[...p, 'autocomplete'], 'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID', 'Autocomplete cannot be used with choices']);
    }
    choices.forEach((rawChoice, j) => {
      const c = asRecord(rawChoice);
      if (chars(c.name) < 1 || chars(c.name) > 100) {
        errs.push([[...p, 'choices', j, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
      }
      if (typeof c.value === 'string' && chars(c.value) > 100) {
        errs.push([[...p, 'choices', j, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
      }
      total +=
        longestLocalized(c.name, c.name_localizations) +
        (typeof c.value === 'string' ? chars(c.value) : typeof c.value === 'number' ? String(c.value).length : 0);
    });
    for (const key of ['min_length', 'max_length'] as const) {
      const v = o[key];
      if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 6000)) {
        errs.push([[...p, key], 'NUMBER_TYPE_MAX', 'int value should be between 0 and 6000.']);
      }
    }
  });
  return total;
}

function validateCommands(body: unknown): void {
  if (!Array.isArray(body)) errors.invalidForm([[[], 'BASE_TYPE_ARRAY', 'Must be an array.']]);
  const list = body as unknown[];
  const errs: FormErrorEntry[] = [];
  const seen = new Set<string>();
  const counts = new Map<number, number>();
  list.forEach((raw, i) => {
    const c = asRecord(raw);
    const type = c.type === undefined ? 1 : Number(c.type);
    counts.set(type, (counts.get(type) ?? 0) + 1);
    const name = typeof c.name === 'string' ? c.name : '';
    if (type === 1) {
      if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
        errs.push([[i, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid']);
      }
      if (typeof c.description !== 'string' || chars(c.description) < 1 || chars(c.description) > 100) {
        errs.push([[i, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
      }
      let total = longestLocalized(c.name, c.name_localizations) + longestLocalized(c.description, c.description_localizations);
      total += validateOptionList(asArray(c.options), [i, 'options'], errs, 0);
      if (total > 8000) errs.push([[i], 'APPLICATION_COMMAND_TOO_LARGE', 'Command exceeds maximum size (8000)']);
    } else {
      if (chars(name) < 1 || chars(name) > 32) {
        errs.push([[i, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.']);
      }
      if (c.description !== undefined && c.description !== '') {
        errs.push([[i, 'description'], 'APPLICATION_COMMAND_DESCRIPTION_INVALID', 'Context menu commands cannot have a description']);
      }
      if (asArray(c.options).length > 0) {
        errs.push([[i, 'options'], 'APPLICATION_COMMAND_OPTIONS_INVALID', 'Context menu commands cannot have options']);
      }
    }
    const key = `${type}:${name}`;
    if (seen.has(key)) errs.push([[i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Application command names must be unique`]);
    seen.add(key);
  });
  if (errs.length > 0) errors.invalidForm(errs);
  if ((counts.get(1) ?? 0) > 100 || (counts.get(2) ?? 0) > 15 || (counts.get(3) ?? 0) > 15) errors.tooManyCommands();
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// 4. The fake
// ───────────────────────────────────────────────────────────────────────────────────────────────

interface ChannelState {
  id: string;
  guildId: string | null;
  name: string;
  type: number;
  access: Required<ChannelAccess>;
  /** DM channels: the other user. */
  recipientId: string | null;
}

interface GuildState {
  id: string;
  name: string;
  premiumTier: number;
  preferredLocale: string;
  botMember: boolean;
  botRoleId: string;
  channelIds: string[];
  members: RawUser[];
}

interface GatewayConnection {
  ws: WebSocket;
  shardId: number | null;
  shardCount: number;
  sessionId: string | null;
  ready: boolean;
  query: URLSearchParams;
}

interface SessionState {
  sessionId: string;
  shardId: number;
  shardCount: number;
  seq: number;
}

interface RouteContext {
  call: FakeCall;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: UploadedFile[];
}

interface RouteDef {
  method: string;
  segments: string[];
  name: string;
  auth: 'bot' | 'none';
  /** Bucket key for the optional rate-limit simulation. */
  bucket?: (ctx: RouteContext) => { kind: 'interactionWebhook' | 'channel'; key: string };
  handle: (ctx: RouteContext) => Reply | Promise<Reply>;
}

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);
const MIB = 1024 * 1024;

const DEFAULTS = {
  // Must not start with "Bot"/"Bearer": Client#login strips that prefix case-insensitively
  // (/^(Bot|Bearer)\s*/i), so 'bot-token-TEST' would log in as '-token-TEST'.
  botToken: 'TEST-bot-token',
  botUsername: 'vidu-bot',
  tokenLifetimeMs: 15 * 60_000,
  callbackWindowMs: 3_000,
  attachmentSizeLimit: DEFAULT_ATTACHMENT_SIZE_LIMIT,
  followupLimit: 5,
  shardCount: 1,
  maxConcurrency: 1,
  heartbeatIntervalMs: 41_250,
  privilegedIntents: 0,
  attachmentUrlLifetimeMs: 24 * 60 * 60_000,
  waitTimeoutMs: 5_000,
  waitIntervalMs: 15,
} as const;

export class FakeDiscord {
  // ── configuration ──
  readonly botToken: string;
  private readonly specValidation: boolean;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly botUsername: string;
  readonly tokenLifetimeMs: number;
  readonly callbackWindowMs: number;
  readonly attachmentSizeLimit: number;
  readonly followupLimit: number;
  readonly shardCount: number;

  // ── records (read these in tests) ──
  /** Every REST request, in arrival order. */
  readonly calls: FakeCall[] = [];
  /** Every message the fake stores, by id (deleted ones stay, with `deleted: true`). */
  readonly messages = new Map<string, FakeMessage>();
  /** Every interaction injected, by id. */
  readonly interactions = new Map<string, FakeInteraction>();
  /** Every IDENTIFY received. */
  readonly identifies: IdentifyRecord[] = [];
  /** Every payload a client sent on the gateway (heartbeats included). */
  readonly gatewayReceived: { atMs: number; op: number; d: unknown }[] = [];
  /** PUTs of global and guild commands (`.length` is the PUT count). */
  readonly commandPuts: CommandPutRecord[] = [];
  /** GETs of attachment CDN URLs. */
  readonly downloads: CdnDownload[] = [];
  /** Errors thrown by the fake itself (a bug in the fake or a malformed request). */
  readonly internalErrors: Error[] = [];

  private readonly options: FakeDiscordOptions;
  private readonly now: () => number;
  private readonly events = new EventEmitter();
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly routes: RouteDef[];
  private readonly signingKey = randomBytes(32);
  private readonly guilds = new Map<string, GuildState>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly users = new Map<string, RawUser>();
  private readonly dmChannelByUser = new Map<string, string>();
  private readonly dmDenied = new Set<string>();
  private readonly interactionsByToken = new Map<string, FakeInteraction>();
  private readonly cdn = new Map<string, FakeStoredAttachment>();
  private readonly globalCommands: FakeCommand[] = [];
  private readonly guildCommands = new Map<string, FakeCommand[]>();
  private readonly faults: ActiveFault[] = [];
  private readonly connections = new Set<GatewayConnection>();
  private readonly sessions = new Map<string, SessionState>();
  private readonly buckets = new Map<string, { resetAtMs: number; count: number }>();
  private readonly channelNonces = new Map<string, { messageId: string; atMs: number }>();
  private seq = 0;
  private port = 0;
  private closed = false;

  constructor(options: FakeDiscordOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.botToken = options.botToken ?? DEFAULTS.botToken;
    this.specValidation = options.specValidation ?? false;
    this.applicationId = options.applicationId ?? DEFAULT_IDS.applicationId;
    this.botUserId = options.botUserId ?? this.applicationId;
    this.botUsername = options.botUsername ?? DEFAULTS.botUsername;
    this.tokenLifetimeMs = options.tokenLifetimeMs ?? DEFAULTS.tokenLifetimeMs;
    this.callbackWindowMs = options.callbackWindowMs ?? DEFAULTS.callbackWindowMs;
    this.attachmentSizeLimit = options.attachmentSizeLimit ?? DEFAULTS.attachmentSizeLimit;
    this.followupLimit = options.followupLimit ?? DEFAULTS.followupLimit;
    this.shardCount = options.shardCount ?? DEFAULTS.shardCount;
    this.events.setMaxListeners(0);
    this.setUpGuilds(options.guilds ?? [{}]);
    this.routes = this.buildRoutes();
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => this.onInternalError(error, res));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.replace(/\/+$/, '') !== '/gateway') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGatewayConnection(ws, url.searchParams));
    });
  }

  /** @internal Use {@link startFakeDiscord}. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  // ── URLs ──

  /** Pass to discord.js as `rest: { api: fake.apiUrl }`. */
  get apiUrl(): string {
    return `${this.origin}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  private get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The first guild's id (the default guild). */
  get defaultGuildId(): string {
    return [...this.guilds.keys()][0] ?? DEFAULT_IDS.guildId;
  }

  /** The first channel of the first guild. */
  get defaultChannelId(): string {
    return this.guilds.get(this.defaultGuildId)?.channelIds[0] ?? DEFAULT_IDS.channelId;
  }

  // ── lifecycle ──

  /** Closes every socket and the server. Call after `client.destroy()`. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.connections) connection.ws.terminate();
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.events.removeAllListeners();
  }

  // ───────────────────────────── test controls ─────────────────────────────

  /**
   * Sets what the bot may do in a channel (merged into the current access). Connected clients
   * get a CHANNEL_UPDATE with the matching @everyone overwrite, so `permissionsFor(me)` agrees
   * with what REST enforces.
   */
  setChannelAccess(channelId: string, access: ChannelAccess): void {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`FakeDiscord: unknown channel ${channelId}`);
    channel.access = { ...channel.access, ...stripUndefined(access) };
    if (channel.guildId) {
      void this.dispatchToGuild(channel.guildId, 'CHANNEL_UPDATE', this.wireChannel(channel)).catch(() => undefined);
    }
    this.changed();
  }

  /** Whether the user accepts DMs from the bot; `false` → 403 / 50007 on DM message POSTs. */
  setDmAllowed(userId: string, allowed: boolean): void {
    if (allowed) this.dmDenied.delete(userId);
    else this.dmDenied.add(userId);
  }

  /** Simulates a moderator deleting a message: later webhook/channel calls on it get 10008. */
  deleteMessage(channelId: string, messageId: string): void {
    const message = this.messages.get(messageId);
    if (!message || message.channelId !== channelId) {
      throw new Error(`FakeDiscord: no message ${messageId} in channel ${channelId}`);
    }
    message.deleted = true;
    message.deletedBy = 'moderator';
    this.changed();
  }

  /** Forces an interaction token to expire now (webhook routes → 50027, callback → 10062). */
  expireToken(interactionToken: string): void {
    const interaction = this.interactionsByToken.get(interactionToken);
    if (!interaction) throw new Error('FakeDiscord: unknown interaction token');
    interaction.expiresAtMs = Math.min(interaction.expiresAtMs, this.now() - 1);
    interaction.callbackDeadlineMs = Math.min(interaction.callbackDeadlineMs, this.now() - 1);
  }

  /**
   * Makes matching requests fail instead of being handled (no side effects), e.g.
   * `fake.inject({ method: 'PATCH', pathIncludes: '/messages/@original', ...rateLimited(0.5) })`.
   */
  inject(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, remaining: spec.times ?? 1 };
    this.faults.push(fault);
    return {
      get remaining() {
        return fault.remaining;
      },
      cancel: () => {
        fault.remaining = 0;
      },
    };
  }

  /**
   * Registers a file on the fake CDN, like a user's upload through an ATTACHMENT option or a
   * modal File Upload. Returns the API attachment object; its signed `url` is served by the fake.
   */
  addAttachment(input: AddAttachmentInput): RawAttachment {
    const bytes = typeof input.bytes === 'string' ? Buffer.from(input.bytes) : Buffer.from(input.bytes);
    const id = snowflake();
    const filename = sanitizeFilename(input.filename);
    const ephemeral = input.ephemeral ?? true;
    const channelId = input.channelId ?? this.defaultChannelId;
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
    this.cdn.set(id, stored);
    return this.wireAttachment(stored);
  }

  /** Later GETs of this attachment's URL answer 404 (Discord removed the ephemeral upload). */
  expireAttachment(id: string): void {
    const stored = this.cdn.get(id);
    if (!stored) throw new Error(`FakeDiscord: unknown attachment ${id}`);
    stored.expired = true;
  }

  /**
   * Delivers an interaction on the gateway, to the shard that owns its guild
   * (`(guild_id >> 22) % shardCount`; DMs go to shard 0). Resolves once the frame is written.
   * The token's 3 s callback window and 15 min lifetime start now. `options.shardId` delivers it
   * to another shard instead (Discord's routing of interactions that do not follow the guild).
   */
  async injectInteraction(raw: RawInteraction, options: { shardId?: number } = {}): Promise<void> {
    if (raw.application_id !== this.applicationId) {
      throw new Error(
        `FakeDiscord: interaction application_id ${raw.application_id} != fake applicationId ${this.applicationId}; pass applicationId to the builder`,
      );
    }
    if (this.interactionsByToken.has(raw.token) || this.interactions.has(raw.id)) {
      throw new Error('FakeDiscord: interaction id/token reused; build a fresh payload');
    }
    const shardId = options.shardId ?? this.shardFor(raw.guild_id ?? null);
    const connection = this.readyConnection(shardId);
    if (!connection) throw new Error(`FakeDiscord: no READY gateway connection for shard ${shardId}`);

    this.syncAppPermissions(raw);
    const data = asRecord(raw.data);
    const user = raw.member ? (asRecord(raw.member).user as RawUser) : raw.user;
    if (user) this.users.set(user.id, user);
    if (raw.message) this.importMessage(raw.message);
    const resolvedMessages = asRecord(asRecord(data.resolved).messages);
    for (const message of Object.values(resolvedMessages)) this.importMessage(message as RawMessage);

    const injectedAtMs = this.now();
    const interaction: FakeInteraction = {
      id: raw.id,
      token: raw.token,
      applicationId: raw.application_id,
      type: raw.type,
      commandType: raw.type === 2 || raw.type === 4 ? Number(data.type ?? 1) : null,
      commandName: typeof data.name === 'string' ? data.name : null,
      guildId: raw.guild_id ?? null,
      channelId: typeof raw.channel?.id === 'string' ? raw.channel.id : raw.channel_id,
      userId: user?.id ?? '0',
      injectedAtMs,
      expiresAtMs: injectedAtMs + this.tokenLifetimeMs,
      callbackDeadlineMs: injectedAtMs + this.callbackWindowMs,
      attachmentSizeLimit: raw.attachment_size_limit ?? this.attachmentSizeLimit,
      raw,
      acknowledgedWith: null,
      callbacks: [],
      originalMessageId: null,
      followupMessageIds: [],
      sourceMessageId: raw.message?.id ?? null,
      autocompleteChoices: null,
      modal: null,
    };
    this.interactions.set(interaction.id, interaction);
    this.interactionsByToken.set(interaction.token, interaction);
    await this.sendDispatch(connection, 'INTERACTION_CREATE', raw);
    this.changed();
  }

  /** Sends any dispatch (e.g. `GUILD_DELETE`) to a shard (default: the guild's, or 0). */
  async dispatch(event: string, data: unknown, options: { shardId?: number } = {}): Promise<void> {
    const guildId = asRecord(data).guild_id;
    const shardId = options.shardId ?? this.shardFor(typeof guildId === 'string' ? guildId : null);
    const connection = this.readyConnection(shardId);
    if (!connection) throw new Error(`FakeDiscord: no READY gateway connection for shard ${shardId}`);
    await this.sendDispatch(connection, event, data);
  }

  /**
   * Closes gateway connections with a close code (default 4000 "unknown error", which discord.js
   * answers with RESUME). Sessions are kept so a RESUME succeeds.
   */
  disconnectGateway(options: { shardId?: number; code?: number } = {}): void {
    for (const connection of this.connections) {
      if (options.shardId === undefined || connection.shardId === options.shardId) {
        connection.ws.close(options.code ?? 4000, 'FakeDiscord disconnect');
      }
    }
  }

  // ───────────────────────────── queries ─────────────────────────────

  /** Shard ids with a READY connection, ascending. */
  get connectedShards(): number[] {
    return [...this.connections]
      .filter((c) => c.ready && c.shardId !== null && c.ws.readyState === WebSocket.OPEN)
      .map((c) => c.shardId as number)
      .sort((a, b) => a - b);
  }

  /** Resolves when the given shards (default all `shardCount`) got READY and their guilds. */
  waitForReady(options: WaitOptions & { shardIds?: number[] } = {}): Promise<number[]> {
    const wanted = options.shardIds ?? Array.from({ length: this.shardCount }, (_, i) => i);
    return this.waitFor(
      () => {
        const connected = this.connectedShards;
        return wanted.every((id) => connected.includes(id)) ? connected : undefined;
      },
      { description: `shards ${wanted.join(',')} READY`, ...options },
    );
  }

  /** The interaction (by id or token). */
  interaction(idOrToken: string): FakeInteraction | undefined {
    return this.interactions.get(idOrToken) ?? this.interactionsByToken.get(idOrToken);
  }

  /** Every callback POST for an interaction (accepted and rejected), in order. */
  callbacks(interactionId: string): FakeCallback[] {
    return this.interactions.get(interactionId)?.callbacks ?? [];
  }

  /** The `@original` message of an interaction (also after it was deleted). */
  originalMessage(interactionToken: string): FakeMessage | undefined {
    const id = this.interactionsByToken.get(interactionToken)?.originalMessageId;
    return id ? this.messages.get(id) : undefined;
  }

  /** Followup messages of an interaction, in order. */
  followups(interactionToken: string): FakeMessage[] {
    const interaction = this.interactionsByToken.get(interactionToken);
    return (interaction?.followupMessageIds ?? []).flatMap((id) => this.messages.get(id) ?? []);
  }

  /** The bot's DM channel with a user, once the bot opened one. */
  dmChannelOf(userId: string): string | undefined {
    return this.dmChannelByUser.get(userId);
  }

  /** Non-deleted messages in a channel, oldest first (ephemeral ones included). */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId && !m.deleted);
  }

  /** Requests no route handled. A healthy bot leaves this empty. */
  get unknownRoutes(): FakeCall[] {
    return this.calls.filter((c) => c.route === null);
  }

  /** Stored commands: global, or of one guild. */
  commands(guildId?: string): FakeCommand[] {
    return guildId ? (this.guildCommands.get(guildId) ?? []) : this.globalCommands;
  }

  /** The message as the API would return it (use as a button's `message` or a context-menu target). */
  wireMessage(messageId: string): RawMessage {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`FakeDiscord: unknown message ${messageId}`);
    return this.toWireMessage(message);
  }

  /** Computed bot permissions in a channel (what `app_permissions` carries there). */
  appPermissions(channelId: string): bigint {
    const channel = this.channels.get(channelId);
    if (!channel) return 0n;
    if (!channel.guildId) {
      return PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.ATTACH_FILES | PERMISSIONS.EMBED_LINKS | PERMISSIONS.READ_MESSAGE_HISTORY;
    }
    if (!channel.access.view) return 0n;
    return DEFAULT_MEMBER_PERMISSIONS & ~this.deniedBits(channel);
  }

  /**
   * Resolves with the first truthy value `predicate` returns; re-checked on every recorded
   * change and every `intervalMs`. Rejects after `timeoutMs` (default 5 s) with the last calls.
   */
  waitFor<T>(predicate: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULTS.waitTimeoutMs;
    const intervalMs = options.intervalMs ?? DEFAULTS.waitIntervalMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearInterval(interval);
        clearTimeout(timer);
        this.events.off('change', check);
      };
      const check = (): void => {
        if (settled) return;
        let value: T | undefined | null | false;
        try {
          value = predicate();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value) {
          finish();
          resolve(value);
        }
      };
      const interval = setInterval(check, intervalMs);
      const timer = setTimeout(() => {
        if (settled) return;
        finish();
        const recent = this.calls
          .slice(-8)
          .map((c) => `  ${c.method} ${c.path} → ${c.status}`)
          .join('\n');
        reject(
          new Error(
            `FakeDiscord.waitFor timed out after ${timeoutMs} ms${options.description ? ` (${options.description})` : ''}. Last calls:\n${recent || '  (none)'}`,
          ),
        );
      }, timeoutMs);
      this.events.on('change', check);
      check();
    });
  }

  /** Resolves with the first finished call matching. */
  waitForCall(match: CallMatcher, options: WaitOptions = {}): Promise<FakeCall> {
    return this.waitFor(() => this.calls.find((c) => c.status !== 0 && callMatches(c, match)), {
      description: `call ${JSON.stringify({ ...match, path: match.path?.source })}`,
      ...options,
    });
  }

  /** Finished calls matching. */
  findCalls(match: CallMatcher): FakeCall[] {
    return this.calls.filter((c) => c.status !== 0 && callMatches(c, match));
  }

  // ───────────────────────────── setup ─────────────────────────────

  private setUpGuilds(specs: FakeGuildSpec[]): void {
    this.users.set(this.botUserId, this.botUser());
    specs.forEach((spec, gi) => {
      const guildId = spec.id ?? (gi === 0 ? DEFAULT_IDS.guildId : snowflake());
      const channelSpecs = spec.channels ?? [{}];
      const channelIds = channelSpecs.map((c, ci) => {
        const id = c.id ?? (gi === 0 && ci === 0 ? DEFAULT_IDS.channelId : snowflake());
        this.channels.set(id, {
          id,
          guildId,
          name: c.name ?? (ci === 0 ? 'general' : `channel-${ci}`),
          type: c.type ?? 0,
          access: { view: true, send: true, attach: true, readHistory: true, ...stripUndefined(c.access ?? {}) },
          recipientId: null,
        });
        return id;
      });
      const members = (spec.members ?? [{ id: DEFAULT_IDS.userId }]).map((m) => rawUser(m));
      for (const member of members) this.users.set(member.id, member);
      this.guilds.set(guildId, {
        id: guildId,
        name: spec.name ?? 'Test Guild',
        premiumTier: spec.premiumTier ?? 0,
        preferredLocale: spec.preferredLocale ?? 'en-US',
        botMember: spec.botMember ?? true,
        botRoleId: snowflake(),
        channelIds,
        members,
      });
    });
  }

  private botUser(): RawUser {
    return {
      id: this.botUserId,
      username: this.botUsername,
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: true,
      public_flags: 0,
      flags: 0,
      verified: true,
      mfa_enabled: false,
    };
  }

  // ───────────────────────────── HTTP plumbing ─────────────────────────────

  private changed(): void {
    this.events.emit('change');
  }

  private onInternalError(error: unknown, res: http.ServerResponse): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.internalErrors.push(err);
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: '500: Internal Server Error', code: 0 }));
    }
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (/^\/(ephemeral-)?attachments\//.test(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
      this.serveCdn(req, res, url);
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
    const auth: FakeCall['auth'] = authorization === undefined ? 'none' : authorization === `Bot ${this.botToken}` ? 'bot' : 'invalid';

    const call: FakeCall = {
      seq: ++this.seq,
      atMs: this.now(),
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
    this.calls.push(call);

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
      versionMatch && (versionMatch[1] === undefined || versionMatch[1] === '10' || versionMatch[1] === '9') ? this.matchRoute(method, segments) : null;
    if (route) call.route = `${route.def.method} /${route.def.segments.join('/')}`;
    this.changed();

    const fault = this.takeFault(method, path, files.length > 0);
    if (fault && !fault.afterApply) {
      call.injected = true;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.reset) {
        call.status = -1;
        this.changed();
        req.socket.destroy();
        return;
      }
      this.respond(res, call, {
        status: fault.status ?? 500,
        body: fault.body ?? { message: '500: Internal Server Error', code: 0 },
        headers: fault.headers ?? {},
      });
      return;
    }

    if (!route) {
      this.respond(res, call, { status: 404, body: { message: '404: Not Found', code: 0 } });
      return;
    }

    let reply: Reply;
    const ctx: RouteContext = { call, params: route.params, query: url.searchParams, body, files };
    try {
      if (parseFailure) throw parseFailure;
      if (route.def.auth === 'bot' && auth !== 'bot') errors.unauthorized();
      // Discord's official OpenAPI schema for this route's body, before the fake's own checks.
      const problems = this.specValidation ? specProblems(`${route.def.method} ${route.def.name}`, body) : [];
      if (problems.length > 0) fail(400, 50035, 'Invalid Form Body', { errors: formErrors(problems.map((p) => [p.path, p.code, p.message])) });
      const limit = route.def.bucket ? this.applyRateLimit(route.def.bucket(ctx)) : null;
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
      this.changed();
      return;
    }
    this.respond(res, call, reply);
  }

  private respond(res: http.ServerResponse, call: FakeCall, reply: Reply): void {
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
    this.changed();
  }

  private matchRoute(method: string, segments: string[]): { def: RouteDef; params: Record<string, string> } | null {
    for (const def of this.routes) {
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

  private takeFault(method: string, path: string, hasFiles: boolean): FaultSpec | null {
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.spec.withFiles !== undefined && fault.spec.withFiles !== hasFiles) continue;
      if (fault.spec.method && fault.spec.method.toUpperCase() !== method) continue;
      if (!path.includes(fault.spec.pathIncludes)) continue;
      fault.remaining -= 1;
      return fault.spec;
    }
    return null;
  }

  private applyRateLimit(bucket: { kind: 'interactionWebhook' | 'channel'; key: string }): {
    headers: Record<string, string>;
    limited?: Reply;
  } | null {
    const spec = this.options.rateLimits?.[bucket.kind];
    if (!spec) return null;
    const now = this.now();
    const mapKey = `${bucket.kind}:${bucket.key}`;
    let state = this.buckets.get(mapKey);
    if (!state || now >= state.resetAtMs) {
      state = { resetAtMs: now + spec.windowMs, count: 0 };
      this.buckets.set(mapKey, state);
    }
    const resetAfterS = Math.max(0, (state.resetAtMs - now) / 1000);
    const hash = createHash('sha1').update(bucket.kind).digest('hex').slice(0, 16);
    if (state.count >= spec.limit) {
      return {
        headers: {},
        limited: {
          status: 429,
          body: { message: 'You are being rate limited.', retry_after: Number(resetAfterS.toFixed(3)), global: false },
          headers: {
            'retry-after': String(Math.ceil(resetAfterS)),
            'x-ratelimit-limit': String(spec.limit),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': (state.resetAtMs / 1000).toFixed(3),
            'x-ratelimit-reset-after': resetAfterS.toFixed(3),
            'x-ratelimit-bucket': hash,
            'x-ratelimit-scope': 'user',
          },
        },
      };
    }
    state.count += 1;
    return {
      headers: {
        'x-ratelimit-limit': String(spec.limit),
        'x-ratelimit-remaining': String(spec.limit - state.count),
        'x-ratelimit-reset': (state.resetAtMs / 1000).toFixed(3),
        'x-ratelimit-reset-after': resetAfterS.toFixed(3),
        'x-ratelimit-bucket': hash,
      },
    };
  }

  // ───────────────────────────── routes ─────────────────────────────

  private buildRoutes(): RouteDef[] {
    const route = (method: string, template: string, auth: RouteDef['auth'], handle: RouteDef['handle'], bucket?: RouteDef['bucket']): RouteDef => {
      const def: RouteDef = { method, segments: template.split('/').filter(Boolean), name: template, auth, handle };
      if (bucket) def.bucket = bucket;
      return def;
    };
    const webhookBucket: RouteDef['bucket'] = (ctx) => ({ kind: 'interactionWebhook', key: ctx.params.token ?? '' });
    const channelBucket: RouteDef['bucket'] = (ctx) => ({ kind: 'channel', key: ctx.params.channel ?? '' });
    return [
      route('GET', '/gateway', 'none', () => ({ status: 200, body: { url: this.gatewayUrl } })),
      route('GET', '/gateway/bot', 'bot', () => ({
        status: 200,
        body: {
          url: this.gatewayUrl,
          shards: this.shardCount,
          session_start_limit: {
            total: 1000,
            remaining: 1000,
            reset_after: 0,
            max_concurrency: this.options.maxConcurrency ?? DEFAULTS.maxConcurrency,
          },
        },
      })),
      route('GET', '/users/@me', 'bot', () => ({ status: 200, body: this.botUser() })),
      route('GET', '/users/:user', 'bot', (ctx) => {
        const user = this.users.get(ctx.params.user ?? '');
        return user ? { status: 200, body: user } : errors.unknownUser();
      }),
      route('GET', '/applications/@me', 'bot', () => ({ status: 200, body: this.applicationObject() })),
      route('GET', '/applications/:app/commands', 'bot', (ctx) => this.getCommands(ctx, null)),
      route('PUT', '/applications/:app/commands', 'bot', (ctx) => this.putCommands(ctx, null)),
      route('GET', '/applications/:app/guilds/:guild/commands', 'bot', (ctx) => this.getCommands(ctx, ctx.params.guild ?? null)),
      route('PUT', '/applications/:app/guilds/:guild/commands', 'bot', (ctx) => this.putCommands(ctx, ctx.params.guild ?? null)),
      route('POST', '/interactions/:id/:token/callback', 'none', (ctx) => this.handleCallback(ctx)),
      route('GET', '/webhooks/:app/:token/messages/:message', 'none', (ctx) => this.getWebhookMessage(ctx), webhookBucket),
      route('PATCH', '/webhooks/:app/:token/messages/:message', 'none', (ctx) => this.editWebhookMessage(ctx), webhookBucket),
      route('DELETE', '/webhooks/:app/:token/messages/:message', 'none', (ctx) => this.deleteWebhookMessage(ctx), webhookBucket),
      route('POST', '/webhooks/:app/:token', 'none', (ctx) => this.createFollowup(ctx), webhookBucket),
      route('POST', '/users/@me/channels', 'bot', (ctx) => this.createDm(ctx)),
      route('GET', '/channels/:channel', 'bot', (ctx) => this.getChannel(ctx)),
      route('GET', '/channels/:channel/messages', 'bot', (ctx) => this.listChannelMessages(ctx), channelBucket),
      route('POST', '/channels/:channel/messages', 'bot', (ctx) => this.createChannelMessage(ctx), channelBucket),
      route('GET', '/channels/:channel/messages/:message', 'bot', (ctx) => this.getChannelMessage(ctx), channelBucket),
      route('PATCH', '/channels/:channel/messages/:message', 'bot', (ctx) => this.editChannelMessage(ctx), channelBucket),
      route('DELETE', '/channels/:channel/messages/:message', 'bot', (ctx) => this.deleteChannelMessage(ctx), channelBucket),
      route('POST', '/channels/:channel/typing', 'bot', (ctx) => this.typing(ctx)),
    ];
  }

  private applicationObject(): Record<string, unknown> {
    return {
      id: this.applicationId,
      name: this.botUsername,
      icon: null,
      description: '',
      summary: '',
      type: null,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: randomBytes(32).toString('hex'),
      flags: 0,
      team: null,
      owner: { ...rawUser({ id: DEFAULT_IDS.userId }) },
      bot: this.botUser(),
      approximate_guild_count: this.guilds.size,
      integration_types_config: { '0': {}, '1': {} },
      install_params: { scopes: ['bot', 'applications.commands'], permissions: '0' },
      redirect_uris: [],
      interactions_endpoint_url: null,
      tags: [],
    };
  }

  // ── application commands ──

  private checkApp(ctx: RouteContext): void {
    if (ctx.params.app !== this.applicationId) errors.unknownApplication();
  }

  private getCommands(ctx: RouteContext, guildId: string | null): Reply {
    this.checkApp(ctx);
    if (guildId && !this.guilds.get(guildId)?.botMember) errors.missingAccess();
    return { status: 200, body: this.commands(guildId ?? undefined) };
  }

  private putCommands(ctx: RouteContext, guildId: string | null): Reply {
    const record: CommandPutRecord = { atMs: this.now(), scope: guildId ?? 'global', body: ctx.body, status: 0 };
    this.commandPuts.push(record);
    try {
      this.checkApp(ctx);
      if (guildId && !this.guilds.has(guildId)) errors.unknownChannel();
      validateCommands(ctx.body);
      const previous = this.commands(guildId ?? undefined);
      const stored = (ctx.body as unknown[]).map((raw) => {
        const c = asRecord(raw);
        const type = c.type === undefined ? 1 : Number(c.type);
        const existing = previous.find((p) => p.type === type && p.name === c.name);
        const command: FakeCommand = {
          default_member_permissions: null,
          name_localizations: null,
          description_localizations: null,
          contexts: null,
          integration_types: [0],
          nsfw: false,
          ...c,
          id: existing?.id ?? snowflake(),
          application_id: this.applicationId,
          version: snowflake(),
          type,
          name: String(c.name),
          description: typeof c.description === 'string' ? c.description : '',
        };
        if (guildId) command.guild_id = guildId;
        return command;
      });
      if (guildId) this.guildCommands.set(guildId, stored);
      else this.globalCommands.splice(0, this.globalCommands.length, ...stored);
      record.status = 200;
      return { status: 200, body: stored };
    } catch (error) {
      if (error instanceof DiscordFailure) record.status = error.reply.status;
      throw error;
    }
  }

  // ── interaction callback ──

  private handleCallback(ctx: RouteContext): Reply {
    const interaction = this.interactions.get(ctx.params.id ?? '');
    if (!interaction || interaction.token !== ctx.params.token) errors.unknownInteraction();
    const it = interaction as FakeInteraction;
    const body = asRecord(ctx.body);
    const type = typeof body.type === 'number' ? body.type : null;
    const withResponse = ctx.query.get('with_response') === 'true';
    const record: FakeCallback = {
      atMs: this.now(),
      type,
      data: body.data,
      withResponse,
      files: ctx.call.files,
      status: 0,
      errorCode: null,
    };
    it.callbacks.push(record);
    try {
      const reply = this.acknowledge(it, type, asRecord(body.data), ctx.files, withResponse);
      record.status = reply.status;
      return reply;
    } catch (error) {
      if (error instanceof DiscordFailure) {
        record.status = error.reply.status;
        const code = asRecord(error.reply.body).code;
        record.errorCode = typeof code === 'number' ? code : null;
      }
      throw error;
    }
  }

  private acknowledge(it: FakeInteraction, type: number | null, data: Record<string, unknown>, files: UploadedFile[], withResponse: boolean): Reply {
    if (it.acknowledgedWith !== null) errors.alreadyAcknowledged();
    if (this.now() > it.callbackDeadlineMs || this.now() > it.expiresAtMs) errors.unknownInteraction();
    const fromComponent = it.sourceMessageId !== null;
    const allowed: Record<number, number[]> = {
      2: [4, 5, 9],
      3: [4, 5, 6, 7, 9],
      4: [8],
      5: fromComponent ? [4, 5, 6, 7] : [4, 5],
    };
    if (type === null || !(allowed[it.type] ?? []).includes(type)) {
      errors.invalidForm([
        [['type'], 'INTERACTION_CALLBACK_TYPE_INVALID', `Interaction callback type ${String(type)} is not valid for interaction type ${it.type}`],
      ]);
    }
    const flags = typeof data.flags === 'number' ? data.flags : 0;
    let message: FakeMessage | null = null;
    switch (type) {
      case 4: {
        if ((flags & ~CREATE_FLAGS) !== 0) {
          errors.invalidForm([[['data', 'flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
        }
        message = this.createMessage({
          channelId: it.channelId,
          guildId: it.guildId,
          source: 'callback',
          interaction: it,
          payload: data,
          files,
          sizeLimit: it.attachmentSizeLimit,
        });
        it.originalMessageId = message.id;
        break;
      }
      case 5: {
        // Deferring can set only EPHEMERAL (receiving-and-responding#interaction-callback-data-structure).
        if ((flags & ~FLAG_EPHEMERAL) !== 0) {
          errors.invalidForm([[['data', 'flags'], 'MESSAGE_FLAGS_INVALID', 'Only EPHEMERAL can be set when deferring']]);
        }
        message = this.createMessage({
          channelId: it.channelId,
          guildId: it.guildId,
          source: 'callback',
          interaction: it,
          payload: { flags: (flags & FLAG_EPHEMERAL) | FLAG_LOADING },
          files: [],
          sizeLimit: it.attachmentSizeLimit,
          loading: true,
        });
        it.originalMessageId = message.id;
        break;
      }
      case 6:
      case 7: {
        const source = it.sourceMessageId ? this.messages.get(it.sourceMessageId) : undefined;
        if (!source || source.deleted) errors.unknownMessage();
        const target = source as FakeMessage;
        if (type === 7) this.editMessage(target, data, files, it.attachmentSizeLimit);
        it.originalMessageId = target.id;
        message = type === 7 ? target : null;
        break;
      }
      case 8: {
        const choices = asArray(data.choices);
        const errs: FormErrorEntry[] = [];
        if (choices.length > 25) errs.push([['data', 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
        choices.forEach((c, i) => {
          const choice = asRecord(c);
          if (chars(choice.name) < 1 || chars(choice.name) > 100) {
            errs.push([['data', 'choices', i, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
          }
          if (typeof choice.value === 'string' && chars(choice.value) > 100) {
            errs.push([['data', 'choices', i, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
          }
        });
        if (errs.length > 0) errors.invalidForm(errs);
        it.autocompleteChoices = choices;
        break;
      }
      case 9: {
        validateModal(data);
        it.modal = data;
        break;
      }
    }
    it.acknowledgedWith = type;
    this.changed();
    if (!withResponse) return { status: 204 };
    const original = it.originalMessageId ? this.messages.get(it.originalMessageId) : undefined;
    const interactionPart: Record<string, unknown> = { id: it.id, type: it.type };
    if (original && (type === 4 || type === 5 || type === 7)) {
      interactionPart.response_message_id = original.id;
      interactionPart.response_message_loading = original.loading;
      interactionPart.response_message_ephemeral = original.ephemeral;
    }
    // The resource carries the message only for types 4 and 7 (docs: interaction callback resource object).
    const resource: Record<string, unknown> = { type };
    if (message && (type === 4 || type === 7)) resource.message = this.toWireMessage(message);
    return { status: 200, body: { interaction: interactionPart, resource } };
  }

  // ── interaction webhooks ──

  private webhookInteraction(ctx: RouteContext): FakeInteraction {
    if (ctx.params.app !== this.applicationId) errors.unknownWebhook();
    const interaction = this.interactionsByToken.get(ctx.params.token ?? '');
    if (!interaction || this.now() > interaction.expiresAtMs) errors.invalidWebhookToken();
    return interaction as FakeInteraction;
  }

  private webhookTarget(ctx: RouteContext, it: FakeInteraction): FakeMessage {
    const ref = ctx.params.message ?? '';
    const id = ref === '@original' ? it.originalMessageId : ref;
    const owned = id !== null && (id === it.originalMessageId || id === it.sourceMessageId || it.followupMessageIds.includes(id));
    const message = owned && id ? this.messages.get(id) : undefined;
    if (!message || message.deleted) errors.unknownMessage();
    return message as FakeMessage;
  }

  private getWebhookMessage(ctx: RouteContext): Reply {
    const it = this.webhookInteraction(ctx);
    return { status: 200, body: this.toWireMessage(this.webhookTarget(ctx, it)) };
  }

  private editWebhookMessage(ctx: RouteContext): Reply {
    const it = this.webhookInteraction(ctx);
    const message = this.webhookTarget(ctx, it);
    this.editMessage(message, asRecord(ctx.body), ctx.files, it.attachmentSizeLimit);
    return { status: 200, body: this.toWireMessage(message) };
  }

  private deleteWebhookMessage(ctx: RouteContext): Reply {
    const it = this.webhookInteraction(ctx);
    const message = this.webhookTarget(ctx, it);
    message.deleted = true;
    message.deletedBy = 'bot';
    this.changed();
    return { status: 204 };
  }

  private createFollowup(ctx: RouteContext): Reply {
    const it = this.webhookInteraction(ctx);
    // Followups need a message-producing acknowledgement; after a modal (9) or autocomplete
    // result (8) there is no interaction message to follow up on.
    if (it.acknowledgedWith === null || it.acknowledgedWith === 8 || it.acknowledgedWith === 9) errors.unknownWebhook();
    const payload = asRecord(ctx.body);
    const original = it.originalMessageId ? this.messages.get(it.originalMessageId) : undefined;
    // After a type-5 defer, the first followup edits the loading message instead of creating one,
    // keeping its ephemeral state (documented, deprecated behaviour: #create-followup-message).
    if (original && original.loading && !original.deleted) {
      this.editMessage(original, payload, ctx.files, it.attachmentSizeLimit);
      return { status: 200, body: this.toWireMessage(original) };
    }
    if (it.followupMessageIds.length >= this.followupLimit) errors.followupLimit();
    const flags = typeof payload.flags === 'number' ? payload.flags : 0;
    if ((flags & ~CREATE_FLAGS) !== 0) errors.invalidForm([[['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
    const message = this.createMessage({
      channelId: it.channelId,
      guildId: it.guildId,
      source: 'followup',
      interaction: it,
      payload,
      files: ctx.files,
      sizeLimit: it.attachmentSizeLimit,
    });
    it.followupMessageIds.push(message.id);
    return { status: 200, body: this.toWireMessage(message) };
  }

  // ── channels ──

  /** The channel, with the bot's access checked. */
  private accessibleChannel(ctx: RouteContext): ChannelState {
    const channel = this.channels.get(ctx.params.channel ?? '');
    if (!channel) errors.unknownChannel();
    const c = channel as ChannelState;
    if (c.guildId) {
      const guild = this.guilds.get(c.guildId);
      if (!guild?.botMember || !c.access.view) errors.missingAccess();
    }
    return c;
  }

  private getChannel(ctx: RouteContext): Reply {
    return { status: 200, body: this.wireChannel(this.accessibleChannel(ctx)) };
  }

  private channelMessage(ctx: RouteContext, channel: ChannelState): FakeMessage {
    const message = this.messages.get(ctx.params.message ?? '');
    // Ephemeral messages do not exist for channel routes (platform.md §1).
    if (!message || message.channelId !== channel.id || message.deleted || message.ephemeral) errors.unknownMessage();
    return message as FakeMessage;
  }

  private listChannelMessages(ctx: RouteContext): Reply {
    const channel = this.accessibleChannel(ctx);
    if (!channel.access.readHistory) return { status: 200, body: [] };
    const limit = Math.min(100, Math.max(1, Number(ctx.query.get('limit') ?? 50)));
    const before = ctx.query.get('before');
    const after = ctx.query.get('after');
    let list = [...this.messages.values()].filter((m) => m.channelId === channel.id && !m.deleted && !m.ephemeral);
    if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
    if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after));
    list.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    return { status: 200, body: list.slice(0, limit).map((m) => this.toWireMessage(m)) };
  }

  private getChannelMessage(ctx: RouteContext): Reply {
    const channel = this.accessibleChannel(ctx);
    if (!channel.access.readHistory) errors.missingPermissions();
    return { status: 200, body: this.toWireMessage(this.channelMessage(ctx, channel)) };
  }

  private createChannelMessage(ctx: RouteContext): Reply {
    const channel = this.accessibleChannel(ctx);
    if (channel.recipientId && this.dmDenied.has(channel.recipientId)) errors.cannotDm();
    if (!channel.access.send) errors.missingPermissions();
    if (ctx.files.length > 0 && !channel.access.attach) errors.missingPermissions();
    const payload = asRecord(ctx.body);
    const nonce = typeof payload.nonce === 'string' || typeof payload.nonce === 'number' ? String(payload.nonce) : null;
    if (nonce && payload.enforce_nonce === true) {
      // enforce_nonce: a repeated nonce within a few minutes returns the first message.
      const seen = this.channelNonces.get(`${channel.id}:${nonce}`);
      const existing = seen && this.now() - seen.atMs < 5 * 60_000 ? this.messages.get(seen.messageId) : undefined;
      if (existing) return { status: 200, body: this.toWireMessage(existing) };
    }
    const flags = typeof payload.flags === 'number' ? payload.flags : 0;
    if ((flags & ~(CREATE_FLAGS & ~FLAG_EPHEMERAL)) !== 0) {
      errors.invalidForm([[['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
    }
    const reference = asRecord(payload.message_reference);
    if (typeof reference.message_id === 'string') {
      const target = this.messages.get(reference.message_id);
      const exists = target && !target.deleted && !target.ephemeral && target.channelId === channel.id;
      if (!exists && reference.fail_if_not_exists !== false) {
        errors.invalidForm([[['message_reference'], 'REPLIES_UNKNOWN_MESSAGE', 'Unknown message']]);
      }
    }
    const message = this.createMessage({
      channelId: channel.id,
      guildId: channel.guildId,
      source: 'channel',
      interaction: null,
      payload,
      files: ctx.files,
      sizeLimit: this.channelSizeLimit(channel),
    });
    if (nonce) {
      message.nonce = nonce;
      this.channelNonces.set(`${channel.id}:${nonce}`, { messageId: message.id, atMs: this.now() });
    }
    return { status: 200, body: this.toWireMessage(message) };
  }

  private editChannelMessage(ctx: RouteContext): Reply {
    const channel = this.accessibleChannel(ctx);
    const message = this.channelMessage(ctx, channel);
    if (message.authorId !== this.botUserId) errors.cannotEditOthers();
    if (ctx.files.length > 0 && !channel.access.attach) errors.missingPermissions();
    this.editMessage(message, asRecord(ctx.body), ctx.files, this.channelSizeLimit(channel));
    return { status: 200, body: this.toWireMessage(message) };
  }

  private deleteChannelMessage(ctx: RouteContext): Reply {
    const channel = this.accessibleChannel(ctx);
    const message = this.channelMessage(ctx, channel);
    // Deleting others' messages needs MANAGE_MESSAGES, which the fake bot does not have.
    if (message.authorId !== this.botUserId) errors.missingPermissions();
    message.deleted = true;
    message.deletedBy = 'bot';
    this.changed();
    return { status: 204 };
  }

  private typing(ctx: RouteContext): Reply {
    const channel = this.accessibleChannel(ctx);
    if (!channel.access.send) errors.missingPermissions();
    return { status: 204 };
  }

  private createDm(ctx: RouteContext): Reply {
    const recipientId = asRecord(ctx.body).recipient_id;
    if (typeof recipientId !== 'string' || !/^\d{15,20}$/.test(recipientId)) {
      errors.invalidForm([[['recipient_id'], 'NUMBER_TYPE_COERCE', 'Value is not snowflake.']]);
    }
    const userId = recipientId as string;
    let channelId = this.dmChannelByUser.get(userId);
    if (!channelId) {
      channelId = snowflake();
      this.dmChannelByUser.set(userId, channelId);
      this.channels.set(channelId, {
        id: channelId,
        guildId: null,
        name: '',
        type: 1,
        access: { view: true, send: true, attach: true, readHistory: true },
        recipientId: userId,
      });
    }
    return { status: 200, body: this.wireChannel(this.channels.get(channelId) as ChannelState) };
  }

  private channelSizeLimit(channel: ChannelState): number {
    const tier = channel.guildId ? (this.guilds.get(channel.guildId)?.premiumTier ?? 0) : 0;
    if (tier === 3) return Math.max(this.attachmentSizeLimit, 100 * MIB);
    if (tier === 2) return Math.max(this.attachmentSizeLimit, 50 * MIB);
    return this.attachmentSizeLimit;
  }

  private deniedBits(channel: ChannelState): bigint {
    let deny = 0n;
    if (!channel.access.view) deny |= PERMISSIONS.VIEW_CHANNEL;
    if (!channel.access.send) deny |= PERMISSIONS.SEND_MESSAGES | PERMISSIONS.SEND_MESSAGES_IN_THREADS;
    if (!channel.access.attach) deny |= PERMISSIONS.ATTACH_FILES;
    if (!channel.access.readHistory) deny |= PERMISSIONS.READ_MESSAGE_HISTORY;
    return deny;
  }

  // ── message store ──

  private createMessage(init: {
    channelId: string;
    guildId: string | null;
    source: FakeMessage['source'];
    interaction: FakeInteraction | null;
    payload: Record<string, unknown>;
    files: UploadedFile[];
    sizeLimit: number;
    loading?: boolean;
  }): FakeMessage {
    const { payload } = init;
    const flags = typeof payload.flags === 'number' ? payload.flags : 0;
    const ephemeral = (flags & FLAG_EPHEMERAL) !== 0;
    const attachments = this.attachmentsFromUpload(init.files, asArray(payload.attachments), init.sizeLimit, init.channelId, ephemeral);
    const content = typeof payload.content === 'string' ? payload.content : '';
    const embeds = asArray(payload.embeds);
    const components = asArray(payload.components);
    validateMessageState({
      content,
      flags,
      embeds,
      components,
      attachments,
      poll: payload.poll,
      stickers: payload.sticker_ids,
      requireNonEmpty: !init.loading,
    });
    const it = init.interaction;
    const reference = payload.message_reference;
    const type = it ? (it.type === 2 && it.commandType !== 1 ? 23 : it.type === 2 ? 20 : 0) : reference ? 19 : 0;
    const message: FakeMessage = {
      id: snowflake(),
      channelId: init.channelId,
      guildId: init.guildId,
      authorId: this.botUserId,
      source: init.source,
      interactionId: it?.id ?? null,
      type,
      content,
      flags,
      embeds,
      components,
      attachments,
      messageReference: reference ?? null,
      nonce: null,
      createdAtMs: this.now(),
      editedAtMs: null,
      editCount: 0,
      history: [],
      ephemeral,
      loading: init.loading ?? false,
      deleted: false,
      deletedBy: null,
    };
    this.messages.set(message.id, message);
    this.changed();
    return message;
  }

  /** Applies an edit payload with Discord's semantics, validating the resulting message. */
  private editMessage(message: FakeMessage, payload: Record<string, unknown>, files: UploadedFile[], sizeLimit: number): void {
    const newFlags = typeof payload.flags === 'number' ? payload.flags : null;
    if (newFlags !== null && (newFlags & ~EDIT_FLAGS) !== 0) {
      errors.invalidForm([[['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid message flags']]);
    }
    const wasV2 = (message.flags & FLAG_COMPONENTS_V2) !== 0;
    if (wasV2 && newFlags !== null && (newFlags & FLAG_COMPONENTS_V2) === 0) {
      // Once set, IS_COMPONENTS_V2 cannot be removed (platform.md §6).
      errors.invalidForm([[['flags'], 'MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG', 'Cannot remove IS_COMPONENTS_V2 from a message']]);
    }
    // Flags that can change on edit; EPHEMERAL and LOADING are fixed by the server.
    const mutable = FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2;
    let flags = message.flags & ~FLAG_LOADING;
    if (newFlags !== null) flags = (flags & ~mutable) | (newFlags & mutable) | (wasV2 ? FLAG_COMPONENTS_V2 : 0);

    const payloadAttachments = Array.isArray(payload.attachments) ? payload.attachments : null;
    const newAttachments = this.attachmentsFromUpload(files, payloadAttachments ?? [], sizeLimit, message.channelId, message.ephemeral);
    let kept = message.attachments;
    if (payloadAttachments) {
      // `attachments` lists every file to keep; existing ones not listed are removed.
      const keepIds = new Set(payloadAttachments.map((a) => String(asRecord(a).id)));
      kept = message.attachments.filter((a) => keepIds.has(a.id));
    }
    const next = {
      content: 'content' in payload ? (typeof payload.content === 'string' ? payload.content : '') : message.content,
      embeds: 'embeds' in payload ? asArray(payload.embeds) : message.embeds,
      components: 'components' in payload ? asArray(payload.components) : message.components,
      attachments: [...kept, ...newAttachments],
      flags,
    };
    validateMessageState({ ...next, poll: payload.poll, stickers: payload.sticker_ids, requireNonEmpty: true });
    message.history.push({
      atMs: this.now(),
      content: message.content,
      flags: message.flags,
      embeds: message.embeds,
      components: message.components,
      attachmentIds: message.attachments.map((a) => a.id),
    });
    message.content = next.content;
    message.embeds = next.embeds;
    message.components = next.components;
    message.attachments = next.attachments;
    message.flags = next.flags;
    message.loading = false;
    message.editCount += 1;
    message.editedAtMs = this.now();
    this.changed();
  }

  /**
   * Turns uploaded parts into stored attachments. Checks the per-attachment size limit
   * (413 / 40005) and the attachment count (30015). `files[n]` matches `attachments[].id == n`,
   * which carries description/title (discord.js sends no filename there).
   */
  private attachmentsFromUpload(
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
      this.cdn.set(id, stored);
      return stored;
    });
  }

  /** Stores a message from an injected payload (button host, context-menu target). */
  private importMessage(raw: RawMessage): void {
    if (!raw?.id || this.messages.has(raw.id)) return;
    const flags = typeof raw.flags === 'number' ? raw.flags : 0;
    const author = asRecord(raw.author);
    if (typeof author.id === 'string') this.users.set(author.id, raw.author);
    const attachments = asArray(raw.attachments).map((rawAtt) => {
      const a = asRecord(rawAtt);
      const id = String(a.id);
      const known = this.cdn.get(id);
      if (known) return known;
      const filename = typeof a.filename === 'string' ? a.filename : 'file';
      const stored: FakeStoredAttachment = {
        id,
        filename,
        size: Number(a.size ?? 0),
        contentType: typeof a.content_type === 'string' ? a.content_type : null,
        bytes: Buffer.alloc(0),
        description: typeof a.description === 'string' ? a.description : null,
        title: null,
        durationSecs: typeof a.duration_secs === 'number' ? a.duration_secs : null,
        width: typeof a.width === 'number' ? a.width : null,
        height: typeof a.height === 'number' ? a.height : null,
        ephemeral: a.ephemeral === true,
        expired: false,
        cdnPath: `/attachments/${raw.channel_id}/${id}/${encodeURIComponent(filename)}`,
      };
      return stored;
    });
    this.messages.set(raw.id, {
      id: raw.id,
      channelId: raw.channel_id,
      guildId: typeof raw.guild_id === 'string' ? raw.guild_id : (this.channels.get(raw.channel_id)?.guildId ?? null),
      authorId: typeof author.id === 'string' ? author.id : '0',
      source: 'external',
      interactionId: null,
      type: typeof raw.type === 'number' ? raw.type : 0,
      content: typeof raw.content === 'string' ? raw.content : '',
      flags,
      embeds: asArray(raw.embeds),
      components: asArray(raw.components),
      attachments,
      messageReference: raw.message_reference ?? null,
      nonce: null,
      createdAtMs: snowflakeTimestampMs(raw.id),
      editedAtMs: null,
      editCount: 0,
      history: [],
      ephemeral: (flags & FLAG_EPHEMERAL) !== 0,
      loading: false,
      deleted: false,
      deletedBy: null,
    });
  }

  // ── wire shapes ──

  private signedUrl(path: string): string {
    const issuedS = Math.floor(this.now() / 1000);
    const expiresS = Math.floor((this.now() + (this.options.attachmentUrlLifetimeMs ?? DEFAULTS.attachmentUrlLifetimeMs)) / 1000);
    const ex = expiresS.toString(16);
    const is = issuedS.toString(16);
    const hm = createHmac('sha256', this.signingKey).update(`${path}|${ex}|${is}`).digest('hex');
    return `${this.origin}${path}?ex=${ex}&is=${is}&hm=${hm}&`;
  }

  private wireAttachment(a: FakeStoredAttachment): RawAttachment {
    const url = this.signedUrl(a.cdnPath);
    const wire: RawAttachment = {
      id: a.id,
      filename: a.filename,
      size: a.size,
      url,
      proxy_url: url,
    };
    if (a.contentType) wire.content_type = a.contentType;
    if (a.description) wire.description = a.description;
    if (a.title) wire.title = a.title;
    if (a.width !== null) wire.width = a.width;
    if (a.height !== null) wire.height = a.height;
    if (a.durationSecs !== null) wire.duration_secs = a.durationSecs;
    if (a.ephemeral) wire.ephemeral = true;
    return wire;
  }

  private toWireMessage(m: FakeMessage): RawMessage {
    const author = m.authorId === this.botUserId ? this.botUser() : (this.users.get(m.authorId) ?? rawUser({ id: m.authorId }));
    const wire: RawMessage = {
      id: m.id,
      type: m.type,
      channel_id: m.channelId,
      content: m.content,
      author,
      attachments: m.attachments.map((a) => this.wireAttachment(a)),
      embeds: m.embeds,
      components: m.components,
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: new Date(m.createdAtMs).toISOString(),
      edited_timestamp: m.editedAtMs === null ? null : new Date(m.editedAtMs).toISOString(),
      flags: m.flags,
    };
    if (m.guildId) wire.guild_id = m.guildId;
    if (m.nonce) wire.nonce = m.nonce;
    if (m.messageReference) wire.message_reference = m.messageReference;
    const it = m.interactionId ? this.interactions.get(m.interactionId) : undefined;
    if (it) {
      wire.webhook_id = this.applicationId;
      wire.application_id = this.applicationId;
      const metadata: Record<string, unknown> = {
        id: it.id,
        type: it.type,
        user: this.users.get(it.userId) ?? rawUser({ id: it.userId }),
        authorizing_integration_owners: it.raw.authorizing_integration_owners,
      };
      if (it.commandName) metadata.name = it.commandName;
      if (it.commandType !== null) metadata.command_type = it.commandType;
      if (m.source === 'followup' && it.originalMessageId) metadata.original_response_message_id = it.originalMessageId;
      wire.interaction_metadata = metadata;
    }
    return wire;
  }

  private wireChannel(c: ChannelState): Record<string, unknown> {
    if (!c.guildId) {
      const recipient = c.recipientId ? (this.users.get(c.recipientId) ?? rawUser({ id: c.recipientId })) : null;
      return { id: c.id, type: c.type, last_message_id: null, flags: 0, recipients: recipient ? [recipient] : [] };
    }
    const deny = this.deniedBits(c);
    const guild = this.guilds.get(c.guildId);
    return {
      id: c.id,
      type: c.type,
      guild_id: c.guildId,
      name: c.name,
      position: guild ? guild.channelIds.indexOf(c.id) : 0,
      permission_overwrites: deny === 0n ? [] : [{ id: c.guildId, type: 0, allow: '0', deny: deny.toString() }],
      parent_id: null,
      nsfw: false,
      topic: null,
      rate_limit_per_user: 0,
      last_message_id: null,
      flags: 0,
    };
  }

  private guildCreatePayload(guild: GuildState): Record<string, unknown> {
    const joinedAt = new Date(snowflakeTimestampMs(guild.id)).toISOString();
    const member = (user: RawUser, roles: string[]): Record<string, unknown> => ({
      user,
      roles,
      nick: null,
      avatar: null,
      banner: null,
      premium_since: null,
      joined_at: joinedAt,
      deaf: false,
      mute: false,
      pending: false,
      flags: 0,
      communication_disabled_until: null,
    });
    const role = (id: string, name: string, position: number, managed: boolean): Record<string, unknown> => ({
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: DEFAULT_MEMBER_PERMISSIONS.toString(),
      managed,
      mentionable: false,
      flags: 0,
      ...(managed ? { tags: { bot_id: this.botUserId } } : {}),
    });
    const members = [member(this.botUser(), [guild.botRoleId]), ...guild.members.map((u) => member(u, []))];
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: guild.members[0]?.id ?? DEFAULT_IDS.userId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      max_members: 500_000,
      max_presences: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      vanity_url_code: null,
      premium_tier: guild.premiumTier,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: guild.preferredLocale,
      features: [],
      roles: [role(guild.id, '@everyone', 0, false), role(guild.botRoleId, this.botUsername, 1, true)],
      emojis: [],
      stickers: [],
      incidents_data: null,
      joined_at: joinedAt,
      large: false,
      unavailable: false,
      lazy: true,
      member_count: members.length,
      members,
      channels: guild.channelIds.map((id) => {
        const { guild_id: _omit, ...rest } = this.wireChannel(this.channels.get(id) as ChannelState);
        return rest;
      }),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      embedded_activities: [],
    };
  }

  private syncAppPermissions(raw: RawInteraction): void {
    const channelId = typeof raw.channel?.id === 'string' ? raw.channel.id : raw.channel_id;
    const channel = this.channels.get(channelId);
    if (!channel?.guildId || !this.guilds.get(channel.guildId)?.botMember) return;
    raw.app_permissions = this.appPermissions(channel.id).toString();
  }

  // ── CDN ──

  private serveCdn(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const parts = url.pathname.split('/');
    const attachmentId = parts[3] ?? null;
    const stored = attachmentId ? this.cdn.get(attachmentId) : undefined;
    const ex = url.searchParams.get('ex') ?? '';
    const is = url.searchParams.get('is') ?? '';
    const hm = url.searchParams.get('hm') ?? '';
    const expected = stored ? createHmac('sha256', this.signingKey).update(`${stored.cdnPath}|${ex}|${is}`).digest('hex') : '';
    const fresh = ex !== '' && Number.parseInt(ex, 16) * 1000 >= this.now();
    const ok = stored && !stored.expired && url.pathname === stored.cdnPath && hm === expected && fresh;
    const status = ok ? 200 : 404;
    this.downloads.push({ atMs: this.now(), path: url.pathname, attachmentId, status });
    this.changed();
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

  // ───────────────────────────── gateway ─────────────────────────────

  private shardFor(guildId: string | null): number {
    if (!guildId) return 0;
    return Number((BigInt(guildId) >> 22n) % BigInt(this.shardCount));
  }

  private readyConnection(shardId: number): GatewayConnection | undefined {
    return [...this.connections].find((c) => c.ready && c.shardId === shardId && c.ws.readyState === WebSocket.OPEN);
  }

  private async dispatchToGuild(guildId: string, event: string, data: unknown): Promise<void> {
    const connection = this.readyConnection(this.shardFor(guildId));
    if (connection) await this.sendDispatch(connection, event, data);
  }

  private sendRaw(connection: GatewayConnection, payload: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      if (connection.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('FakeDiscord: gateway socket is not open'));
        return;
      }
      connection.ws.send(JSON.stringify(payload), (error) => (error ? reject(error) : resolve()));
    });
  }

  private sendDispatch(connection: GatewayConnection, event: string, data: unknown): Promise<void> {
    const session = connection.sessionId ? this.sessions.get(connection.sessionId) : undefined;
    const s = session ? ++session.seq : null;
    return this.sendRaw(connection, { op: 0, t: event, s, d: data });
  }

  private onGatewayConnection(ws: WebSocket, query: URLSearchParams): void {
    const connection: GatewayConnection = { ws, shardId: null, shardCount: 1, sessionId: null, ready: false, query };
    this.connections.add(connection);
    ws.on('close', () => {
      this.connections.delete(connection);
      this.changed();
    });
    ws.on('error', () => undefined);
    ws.on('message', (raw) => {
      this.onGatewayMessage(connection, new TextDecoder().decode(Array.isArray(raw) ? Buffer.concat(raw) : raw)).catch((error: unknown) => {
        this.internalErrors.push(error instanceof Error ? error : new Error(String(error)));
      });
    });
    void this.sendRaw(connection, {
      op: 10,
      s: null,
      t: null,
      d: { heartbeat_interval: this.options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs },
    }).catch(() => undefined);
  }

  private async onGatewayMessage(connection: GatewayConnection, text: string): Promise<void> {
    let payload: { op?: number; d?: unknown };
    try {
      payload = JSON.parse(text) as { op?: number; d?: unknown };
    } catch {
      connection.ws.close(4002, 'Error while decoding payload.');
      return;
    }
    const op = Number(payload.op);
    this.gatewayReceived.push({ atMs: this.now(), op, d: payload.d });
    switch (op) {
      case 1:
        await this.sendRaw(connection, { op: 11, s: null, t: null, d: null });
        return;
      case 2:
        await this.onIdentify(connection, asRecord(payload.d));
        return;
      case 6:
        await this.onResume(connection, asRecord(payload.d));
        return;
      default:
        if (!connection.ready) connection.ws.close(4003, 'Not authenticated.');
    }
  }

  private async onIdentify(connection: GatewayConnection, d: Record<string, unknown>): Promise<void> {
    const intents = Number(d.intents ?? 0);
    const shardArray = Array.isArray(d.shard) ? d.shard : [0, 1];
    const shard: [number, number] = [Number(shardArray[0] ?? 0), Number(shardArray[1] ?? 1)];
    const tokenValid = d.token === this.botToken || d.token === `Bot ${this.botToken}`;
    this.identifies.push({
      atMs: this.now(),
      intents,
      shard,
      tokenValid,
      properties: d.properties,
      compress: d.compress,
      largeThreshold: d.large_threshold,
      presence: d.presence,
    });
    this.changed();
    if (connection.ready) {
      connection.ws.close(4005, 'Already authenticated.');
      return;
    }
    if (!tokenValid) {
      connection.ws.close(4004, 'Authentication failed.');
      return;
    }
    if (shard[1] !== this.shardCount || shard[0] < 0 || shard[0] >= shard[1]) {
      connection.ws.close(4010, 'Invalid shard.');
      return;
    }
    const allowedPrivileged = this.options.privilegedIntents ?? DEFAULTS.privilegedIntents;
    if ((intents & PRIVILEGED_INTENTS & ~allowedPrivileged) !== 0) {
      connection.ws.close(4014, 'Disallowed intent(s).');
      return;
    }
    const sessionId = randomBytes(16).toString('hex');
    this.sessions.set(sessionId, { sessionId, shardId: shard[0], shardCount: shard[1], seq: 0 });
    connection.sessionId = sessionId;
    connection.shardId = shard[0];
    connection.shardCount = shard[1];
    const guilds = [...this.guilds.values()].filter((g) => g.botMember && this.shardFor(g.id) === shard[0]);
    await this.sendDispatch(connection, 'READY', {
      v: 10,
      user: this.botUser(),
      user_settings: {},
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      session_type: 'normal',
      session_id: sessionId,
      resume_gateway_url: this.gatewayUrl,
      shard,
      application: { id: this.applicationId, flags: 0 },
      geo_ordered_rtc_regions: [],
      auth_session_id_hash: '',
      _trace: ['["fake-discord",{}]'],
    });
    for (const guild of guilds) await this.sendDispatch(connection, 'GUILD_CREATE', this.guildCreatePayload(guild));
    connection.ready = true;
    this.changed();
  }

  private async onResume(connection: GatewayConnection, d: Record<string, unknown>): Promise<void> {
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    const tokenValid = d.token === this.botToken || d.token === `Bot ${this.botToken}`;
    if (!session || !tokenValid) {
      await this.sendRaw(connection, { op: 9, s: null, t: null, d: false });
      return;
    }
    for (const other of this.connections) {
      if (other !== connection && other.sessionId === session.sessionId) other.ws.terminate();
    }
    connection.sessionId = session.sessionId;
    connection.shardId = session.shardId;
    connection.shardCount = session.shardCount;
    // Missed events are not replayed: the fake only sends what tests inject.
    await this.sendDispatch(connection, 'RESUMED', {});
    connection.ready = true;
    this.changed();
  }
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// helpers
// ───────────────────────────────────────────────────────────────────────────────────────────────

function validateModal(data: Record<string, unknown>): void {
  const errs: FormErrorEntry[] = [];
  if (chars(data.custom_id) < 1 || chars(data.custom_id) > 100) {
    errs.push([['data', 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
  }
  if (chars(data.title) < 1 || chars(data.title) > 45) {
    errs.push([['data', 'title'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.']);
  }
  const components = asArray(data.components);
  if (components.length < 1 || components.length > 5) {
    errs.push([['data', 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.']);
  }
  const labelChildren = new Set([3, 4, 5, 6, 7, 8, 19, 21, 22, 23]);
  components.forEach((raw, i) => {
    const c = asRecord(raw);
    const path = ['data', 'components', i];
    if (c.type === 18) {
      if (chars(c.label) < 1 || chars(c.label) > 45) errs.push([[...path, 'label'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.']);
      if (chars(c.description) > 100) errs.push([[...path, 'description'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
      const child = asRecord(c.component);
      if (!labelChildren.has(Number(child.type))) {
        errs.push([[...path, 'component', 'type'], 'UNION_TYPE_CHOICES', 'Invalid component type inside a Label']);
      }
      if (child.type === 4) validateTextInput(child, [...path, 'component'], errs);
    } else if (c.type === 1) {
      // Deprecated layout: an action row holding one text input.
      const children = asArray(c.components).map(asRecord);
      if (children.length !== 1 || children[0]?.type !== 4) {
        errs.push([[...path, 'components'], 'UNION_TYPE_CHOICES', 'Modal action rows may only hold one text input']);
      } else {
        validateTextInput(children[0], [...path, 'components', 0], errs);
      }
    } else if (c.type !== 10) {
      errs.push([[...path, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (18, 10).']);
    }
  });
  if (errs.length > 0) errors.invalidForm(errs);
}

function validateTextInput(c: Record<string, unknown>, path: (string | number)[], errs: FormErrorEntry[]): void {
  if (chars(c.custom_id) < 1 || chars(c.custom_id) > 100) {
    errs.push([[...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
  }
  if (chars(c.value) > 4000) errs.push([[...path, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 4000 or fewer in length.']);
  if (chars(c.placeholder) > 100) errs.push([[...path, 'placeholder'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
  for (const key of ['min_length', 'max_length'] as const) {
    const v = c[key];
    if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 4000)) {
      errs.push([[...path, key], 'NUMBER_TYPE_MAX', 'int value should be between 0 and 4000.']);
    }
  }
}

function callMatches(call: FakeCall, match: CallMatcher): boolean {
  if (match.method && call.method !== match.method.toUpperCase()) return false;
  if (match.pathIncludes && !call.path.includes(match.pathIncludes)) return false;
  if (match.path && !match.path.test(call.path)) return false;
  if (match.status !== undefined && call.status !== match.status) return false;
  if (match.afterSeq !== undefined && call.seq <= match.afterSeq) return false;
  return true;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function parseBody(contentType: string | undefined, raw: Buffer): Promise<{ body: unknown; files: UploadedFile[] }> {
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

// ───────────────────────────────────────────────────────────────────────────────────────────────
// 5. Entry points
// ───────────────────────────────────────────────────────────────────────────────────────────────

/** Starts the fake on 127.0.0.1 with a random port. Close it with `fake.close()`. */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen();
  return fake;
}

/**
 * A 429 fault like Discord's: body `{message, retry_after, global}` and `Retry-After` (whole
 * seconds, rounded up, as Discord sends it) plus `X-RateLimit-*` headers. Spread into
 * `fake.inject({ pathIncludes, ...rateLimited(0.5) })`.
 */
export function rateLimited(
  retryAfterS: number,
  options: { global?: boolean; scope?: 'user' | 'global' | 'shared' } = {},
): Pick<FaultSpec, 'status' | 'body' | 'headers'> {
  const headers: Record<string, string> = {
    'retry-after': String(Math.ceil(retryAfterS)),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': ((Date.now() + retryAfterS * 1000) / 1000).toFixed(3),
    'x-ratelimit-reset-after': retryAfterS.toFixed(3),
    'x-ratelimit-bucket': 'f4k3b0ck3t',
    'x-ratelimit-scope': options.scope ?? (options.global ? 'global' : 'user'),
  };
  if (options.global) headers['x-ratelimit-global'] = 'true';
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterS, global: options.global ?? false },
    headers,
  };
}
