/**
 * The fake Discord's public types: its options, and the records tests read (calls, messages,
 * interactions, callbacks, gateway identifies, command PUTs, CDN downloads).
 */
import type { RawInteraction, RawUser } from '../interactions.js';

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
   * Check every request body against Discord's official OpenAPI schemas (./spec.ts) and
   * answer 400/50035 "Invalid Form Body" when one would be refused. Default true: a test opts
   * out only to send Discord something broken on purpose.
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
