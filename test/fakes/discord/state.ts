/**
 * Everything the fake Discord knows: its configuration, the records tests read, and the guilds,
 * channels, users, interactions, messages, CDN files and commands the routes work on. One
 * instance per fake; route modules take it as their first argument.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ChannelType, GuildPremiumTier } from 'discord-api-types/v10';
import { DEFAULT_ATTACHMENT_SIZE_LIMIT, DEFAULT_IDS, DEFAULT_MEMBER_PERMISSIONS, PERMISSIONS, rawUser, snowflake, type RawUser } from '../interactions.js';
import type {
  CdnDownload,
  ChannelAccess,
  CommandPutRecord,
  FakeCall,
  FakeCommand,
  FakeDiscordOptions,
  FakeGuildSpec,
  FakeInteraction,
  FakeMessage,
  FakeStoredAttachment,
  FaultSpec,
  IdentifyRecord,
} from './types.js';
import { asEnum, stripUndefined } from './util.js';

export interface ChannelState {
  id: string;
  guildId: string | null;
  name: string;
  type: number;
  access: Required<ChannelAccess>;
  /** DM channels: the other user. */
  recipientId: string | null;
}

export interface GuildState {
  id: string;
  name: string;
  premiumTier: number;
  preferredLocale: string;
  botMember: boolean;
  botRoleId: string;
  channelIds: string[];
  members: RawUser[];
}

export interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

const MIB = 1024 * 1024;

export const DEFAULTS = {
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

export class DiscordState {
  // ── configuration ──
  readonly options: FakeDiscordOptions;
  readonly now: () => number;
  readonly botToken: string;
  readonly specValidation: boolean;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly botUsername: string;
  readonly tokenLifetimeMs: number;
  readonly callbackWindowMs: number;
  readonly attachmentSizeLimit: number;
  readonly followupLimit: number;
  readonly shardCount: number;

  // ── records (FakeDiscord exposes these to tests) ──
  readonly calls: FakeCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly identifies: IdentifyRecord[] = [];
  readonly gatewayReceived: { atMs: number; op: number; d: unknown }[] = [];
  readonly commandPuts: CommandPutRecord[] = [];
  readonly downloads: CdnDownload[] = [];
  readonly internalErrors: Error[] = [];

  // ── world ──
  readonly events = new EventEmitter();
  readonly signingKey = randomBytes(32);
  readonly guilds = new Map<string, GuildState>();
  readonly channels = new Map<string, ChannelState>();
  readonly users = new Map<string, RawUser>();
  readonly dmChannelByUser = new Map<string, string>();
  readonly dmDenied = new Set<string>();
  readonly interactionsByToken = new Map<string, FakeInteraction>();
  readonly cdn = new Map<string, FakeStoredAttachment>();
  readonly globalCommands: FakeCommand[] = [];
  readonly guildCommands = new Map<string, FakeCommand[]>();
  readonly faults: ActiveFault[] = [];
  readonly buckets = new Map<string, { resetAtMs: number; count: number }>();
  readonly channelNonces = new Map<string, { messageId: string; atMs: number }>();
  /** Last REST call sequence number. */
  seq = 0;
  /** The HTTP port, once listening. */
  port = 0;

  constructor(options: FakeDiscordOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.botToken = options.botToken ?? DEFAULTS.botToken;
    this.specValidation = options.specValidation ?? true;
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
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  /** The first guild's id (the default guild). */
  get defaultGuildId(): string {
    return [...this.guilds.keys()][0] ?? DEFAULT_IDS.guildId;
  }

  /** The first channel of the first guild. */
  get defaultChannelId(): string {
    return this.guilds.get(this.defaultGuildId)?.channelIds[0] ?? DEFAULT_IDS.channelId;
  }

  /** Wakes every `waitFor`. */
  changed(): void {
    this.events.emit('change');
  }

  botUser(): RawUser {
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

  /** `(guild_id >> 22) % shardCount`; DMs and unknown guilds on shard 0. */
  shardFor(guildId: string | null): number {
    if (!guildId) return 0;
    return Number((BigInt(guildId) >> 22n) % BigInt(this.shardCount));
  }

  /** Stored commands: global, or of one guild. */
  commands(guildId?: string): FakeCommand[] {
    return guildId ? (this.guildCommands.get(guildId) ?? []) : this.globalCommands;
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

  /** Per-attachment limit of a channel route: the boost tier raises it. */
  channelSizeLimit(channel: ChannelState): number {
    const tier = asEnum(GuildPremiumTier, channel.guildId ? (this.guilds.get(channel.guildId)?.premiumTier ?? 0) : 0);
    if (tier === GuildPremiumTier.Tier3) return Math.max(this.attachmentSizeLimit, 100 * MIB);
    if (tier === GuildPremiumTier.Tier2) return Math.max(this.attachmentSizeLimit, 50 * MIB);
    return this.attachmentSizeLimit;
  }

  deniedBits(channel: ChannelState): bigint {
    let deny = 0n;
    if (!channel.access.view) deny |= PERMISSIONS.VIEW_CHANNEL;
    if (!channel.access.send) deny |= PERMISSIONS.SEND_MESSAGES | PERMISSIONS.SEND_MESSAGES_IN_THREADS;
    if (!channel.access.attach) deny |= PERMISSIONS.ATTACH_FILES;
    if (!channel.access.readHistory) deny |= PERMISSIONS.READ_MESSAGE_HISTORY;
    return deny;
  }

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
          type: c.type ?? ChannelType.GuildText,
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
}
