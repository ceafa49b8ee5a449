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
 * This class is the tests' handle: it owns the HTTP server and the gateway, and offers the test
 * controls and queries. The behaviour lives beside it, one file per responsibility:
 *   state.ts       what the fake knows (config, records, guilds, channels, messages, commands)
 *   http.ts        the REST pipeline (faults, routing, auth, spec check, rate limits)
 *   routes/*.ts    one module per route family (interactions, webhooks, messages, channels,
 *                  applications)
 *   messages.ts    the message store; payloads.ts / commands.ts the payload rules
 *   uploads.ts     multipart bodies, stored attachments, the signed CDN
 *   gateway.ts     HELLO / IDENTIFY / RESUME and dispatches
 *   ratelimits.ts  the bucket simulation and `rateLimited()`
 *   wire.ts        objects as the API returns them; errors.ts the error replies
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { type RawAttachment, type RawInteraction, type RawMessage } from '../interactions.js';
import { FakeGateway } from './gateway.js';
import { handleRequest, onInternalError, type RouteDef } from './http.js';
import { applicationRoutes } from './routes/applications.js';
import { channelRoutes } from './routes/channels.js';
import { interactionRoutes, recordInteraction } from './routes/interactions.js';
import { messageRoutes } from './routes/messages.js';
import { webhookRoutes } from './routes/webhooks.js';
import { DiscordState, type ActiveFault } from './state.js';
import type {
  AddAttachmentInput,
  CallMatcher,
  CdnDownload,
  ChannelAccess,
  CommandPutRecord,
  FakeCall,
  FakeCallback,
  FakeCommand,
  FakeDiscordOptions,
  FakeInteraction,
  FakeMessage,
  FaultHandle,
  FaultSpec,
  IdentifyRecord,
  WaitOptions,
} from './types.js';
import { storeUserAttachment } from './uploads.js';
import { asRecord, stripUndefined } from './util.js';
import { callMatches, waitFor } from './wait.js';
import { toWireMessage, wireAttachment, wireChannel } from './wire.js';

export class FakeDiscord {
  // ── configuration ──
  readonly botToken: string;
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
  readonly calls: FakeCall[];
  /** Every message the fake stores, by id (deleted ones stay, with `deleted: true`). */
  readonly messages: Map<string, FakeMessage>;
  /** Every interaction injected, by id. */
  readonly interactions: Map<string, FakeInteraction>;
  /** Every IDENTIFY received. */
  readonly identifies: IdentifyRecord[];
  /** Every payload a client sent on the gateway (heartbeats included). */
  readonly gatewayReceived: { atMs: number; op: number; d: unknown }[];
  /** PUTs of global and guild commands (`.length` is the PUT count). */
  readonly commandPuts: CommandPutRecord[];
  /** GETs of attachment CDN URLs. */
  readonly downloads: CdnDownload[];
  /** Errors thrown by the fake itself (a bug in the fake or a malformed request). */
  readonly internalErrors: Error[];

  private readonly s: DiscordState;
  private readonly gateway: FakeGateway;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly routes: RouteDef[];
  private closed = false;

  constructor(options: FakeDiscordOptions = {}) {
    const s = (this.s = new DiscordState(options));
    this.botToken = s.botToken;
    this.applicationId = s.applicationId;
    this.botUserId = s.botUserId;
    this.botUsername = s.botUsername;
    this.tokenLifetimeMs = s.tokenLifetimeMs;
    this.callbackWindowMs = s.callbackWindowMs;
    this.attachmentSizeLimit = s.attachmentSizeLimit;
    this.followupLimit = s.followupLimit;
    this.shardCount = s.shardCount;
    this.calls = s.calls;
    this.messages = s.messages;
    this.interactions = s.interactions;
    this.identifies = s.identifies;
    this.gatewayReceived = s.gatewayReceived;
    this.commandPuts = s.commandPuts;
    this.downloads = s.downloads;
    this.internalErrors = s.internalErrors;

    this.gateway = new FakeGateway(s);
    this.routes = [...applicationRoutes(s), ...interactionRoutes(s), ...webhookRoutes(s), ...channelRoutes(s), ...messageRoutes(s)];
    this.server = http.createServer((req, res) => {
      handleRequest(s, this.routes, req, res).catch((error: unknown) => onInternalError(s, error, res));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.replace(/\/+$/, '') !== '/gateway') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.gateway.onConnection(ws, url.searchParams));
    });
  }

  /** @internal Use {@link startFakeDiscord}. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.s.port = (this.server.address() as AddressInfo).port;
  }

  // ── URLs ──

  /** Pass to discord.js as `rest: { api: fake.apiUrl }`. */
  get apiUrl(): string {
    return `${this.s.origin}/api`;
  }

  get gatewayUrl(): string {
    return this.s.gatewayUrl;
  }

  /** The first guild's id (the default guild). */
  get defaultGuildId(): string {
    return this.s.defaultGuildId;
  }

  /** The first channel of the first guild. */
  get defaultChannelId(): string {
    return this.s.defaultChannelId;
  }

  // ── lifecycle ──

  /** Closes every socket and the server. Call after `client.destroy()`. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gateway.terminateAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.s.events.removeAllListeners();
  }

  // ───────────────────────────── test controls ─────────────────────────────

  /**
   * Sets what the bot may do in a channel (merged into the current access). Connected clients
   * get a CHANNEL_UPDATE with the matching @everyone overwrite, so `permissionsFor(me)` agrees
   * with what REST enforces.
   */
  setChannelAccess(channelId: string, access: ChannelAccess): void {
    const channel = this.s.channels.get(channelId);
    if (!channel) throw new Error(`FakeDiscord: unknown channel ${channelId}`);
    channel.access = { ...channel.access, ...stripUndefined(access) };
    if (channel.guildId) {
      void this.gateway.dispatchToGuild(channel.guildId, 'CHANNEL_UPDATE', wireChannel(this.s, channel)).catch(() => undefined);
    }
    this.s.changed();
  }

  /** Whether the user accepts DMs from the bot; `false` → 403 / 50007 on DM message POSTs. */
  setDmAllowed(userId: string, allowed: boolean): void {
    if (allowed) this.s.dmDenied.delete(userId);
    else this.s.dmDenied.add(userId);
  }

  /** Simulates a moderator deleting a message: later webhook/channel calls on it get 10008. */
  deleteMessage(channelId: string, messageId: string): void {
    const message = this.messages.get(messageId);
    if (!message || message.channelId !== channelId) {
      throw new Error(`FakeDiscord: no message ${messageId} in channel ${channelId}`);
    }
    message.deleted = true;
    message.deletedBy = 'moderator';
    this.s.changed();
  }

  /** Forces an interaction token to expire now (webhook routes → 50027, callback → 10062). */
  expireToken(interactionToken: string): void {
    const interaction = this.s.interactionsByToken.get(interactionToken);
    if (!interaction) throw new Error('FakeDiscord: unknown interaction token');
    interaction.expiresAtMs = Math.min(interaction.expiresAtMs, this.s.now() - 1);
    interaction.callbackDeadlineMs = Math.min(interaction.callbackDeadlineMs, this.s.now() - 1);
  }

  /**
   * Makes matching requests fail instead of being handled (no side effects), e.g.
   * `fake.inject({ method: 'PATCH', pathIncludes: '/messages/@original', ...rateLimited(0.5) })`.
   */
  inject(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, remaining: spec.times ?? 1 };
    this.s.faults.push(fault);
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
    return wireAttachment(this.s, storeUserAttachment(this.s, input));
  }

  /** Later GETs of this attachment's URL answer 404 (Discord removed the ephemeral upload). */
  expireAttachment(id: string): void {
    const stored = this.s.cdn.get(id);
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
    if (this.s.interactionsByToken.has(raw.token) || this.interactions.has(raw.id)) {
      throw new Error('FakeDiscord: interaction id/token reused; build a fresh payload');
    }
    const shardId = options.shardId ?? this.s.shardFor(raw.guild_id ?? null);
    const connection = this.gateway.readyConnection(shardId);
    if (!connection) throw new Error(`FakeDiscord: no READY gateway connection for shard ${shardId}`);

    recordInteraction(this.s, raw);
    await this.gateway.sendDispatch(connection, 'INTERACTION_CREATE', raw);
    this.s.changed();
  }

  /** Sends any dispatch (e.g. `GUILD_DELETE`) to a shard (default: the guild's, or 0). */
  async dispatch(event: string, data: unknown, options: { shardId?: number } = {}): Promise<void> {
    const guildId = asRecord(data).guild_id;
    const shardId = options.shardId ?? this.s.shardFor(typeof guildId === 'string' ? guildId : null);
    const connection = this.gateway.readyConnection(shardId);
    if (!connection) throw new Error(`FakeDiscord: no READY gateway connection for shard ${shardId}`);
    await this.gateway.sendDispatch(connection, event, data);
  }

  /**
   * Closes gateway connections with a close code (default 4000 "unknown error", which discord.js
   * answers with RESUME). Sessions are kept so a RESUME succeeds.
   */
  disconnectGateway(options: { shardId?: number; code?: number } = {}): void {
    this.gateway.disconnect(options);
  }

  // ───────────────────────────── queries ─────────────────────────────

  /** Shard ids with a READY connection, ascending. */
  get connectedShards(): number[] {
    return this.gateway.connectedShards;
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
    return this.interactions.get(idOrToken) ?? this.s.interactionsByToken.get(idOrToken);
  }

  /** Every callback POST for an interaction (accepted and rejected), in order. */
  callbacks(interactionId: string): FakeCallback[] {
    return this.interactions.get(interactionId)?.callbacks ?? [];
  }

  /** The `@original` message of an interaction (also after it was deleted). */
  originalMessage(interactionToken: string): FakeMessage | undefined {
    const id = this.s.interactionsByToken.get(interactionToken)?.originalMessageId;
    return id ? this.messages.get(id) : undefined;
  }

  /** Followup messages of an interaction, in order. */
  followups(interactionToken: string): FakeMessage[] {
    const interaction = this.s.interactionsByToken.get(interactionToken);
    return (interaction?.followupMessageIds ?? []).flatMap((id) => this.messages.get(id) ?? []);
  }

  /** The bot's DM channel with a user, once the bot opened one. */
  dmChannelOf(userId: string): string | undefined {
    return this.s.dmChannelByUser.get(userId);
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
    return this.s.commands(guildId);
  }

  /** The message as the API would return it (use as a button's `message` or a context-menu target). */
  wireMessage(messageId: string): RawMessage {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`FakeDiscord: unknown message ${messageId}`);
    return toWireMessage(this.s, message);
  }

  /** Computed bot permissions in a channel (what `app_permissions` carries there). */
  appPermissions(channelId: string): bigint {
    return this.s.appPermissions(channelId);
  }

  /**
   * Resolves with the first truthy value `predicate` returns; re-checked on every recorded
   * change and every `intervalMs`. Rejects after `timeoutMs` (default 5 s) with the last calls.
   */
  waitFor<T>(predicate: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    return waitFor(this.s, predicate, options);
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
}

/** Starts the fake on 127.0.0.1 with a random port. Close it with `fake.close()`. */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const fake = new FakeDiscord(options);
  await fake.listen();
  return fake;
}
