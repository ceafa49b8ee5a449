/**
 * Builders for raw INTERACTION_CREATE payloads, shaped like what Discord sends on the gateway.
 *
 * Every payload carries the fields discord.js 14.28 reads unconditionally (`entitlements`,
 * `authorizing_integration_owners`, a `channel` object, `member` or `user`), otherwise the
 * interaction constructor throws inside the gateway handler and the event is silently lost.
 * See /work/shared/discord/testing.md "Payload pitfalls".
 *
 * The ids in {@link DEFAULT_IDS} are the ones `startFakeDiscord()` uses for its default
 * application, bot, guild and channel, so `slashCommand({ name: 'vidu' })` works against a fake
 * started without options.
 */
import { randomBytes } from 'node:crypto';

/** Discord epoch (2015-01-01T00:00:00.000Z) in ms. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

let snowflakeIncrement = 0n;

/**
 * A fresh snowflake whose timestamp is `dateMs` (default: now). Unique within the process:
 * the 12-bit increment cycles, and worker/process bits are random per call.
 */
export function snowflake(dateMs: number = Date.now()): string {
  snowflakeIncrement = (snowflakeIncrement + 1n) & 0xfffn;
  const workerAndProcess = BigInt(randomBytes(2).readUInt16BE(0) & 0x3ff);
  const id = (BigInt(Math.floor(dateMs) - DISCORD_EPOCH_MS) << 22n) | (workerAndProcess << 12n) | snowflakeIncrement;
  return id.toString();
}

/** The creation time (ms since epoch) encoded in a snowflake. */
export function snowflakeTimestampMs(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

/**
 * Fixed ids used by both the builders and the fake's defaults. 19-digit snowflakes, because
 * @discordjs/rest only derives per-webhook / per-channel rate-limit buckets from 17–19 digit ids.
 */
export const DEFAULT_IDS = {
  applicationId: '1300000000000000001',
  /** Modern applications share their id with their bot user. */
  botUserId: '1300000000000000001',
  guildId: '1300000000000000010',
  channelId: '1300000000000000011',
  userId: '1300000000000000100',
} as const;

/** Default per-attachment upload limit (10 MiB), as sent in `attachment_size_limit`. */
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = 10_485_760;

/**
 * Permission bits a member of the fake's default guild has. Covers what a generation bot needs:
 * VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES, READ_MESSAGE_HISTORY,
 * USE_APPLICATION_COMMANDS, SEND_MESSAGES_IN_THREADS, USE_EXTERNAL_APPS, plus the usual
 * @everyone defaults (invites, reactions, external emojis, nickname, voice).
 */
export const PERMISSIONS = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  USE_EXTERNAL_EMOJIS: 1n << 18n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  CHANGE_NICKNAME: 1n << 26n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
  USE_EXTERNAL_APPS: 1n << 50n,
} as const;

export const DEFAULT_MEMBER_PERMISSIONS: bigint = Object.values(PERMISSIONS)
  .filter((bit) => bit !== PERMISSIONS.MENTION_EVERYONE)
  .reduce((acc, bit) => acc | bit, 0n);

/** A user object as Discord sends it. */
export interface RawUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  public_flags?: number;
  [key: string]: unknown;
}

/** An attachment object as Discord sends it (resolved attachments, message attachments). */
export interface RawAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
  duration_secs?: number;
  description?: string;
  ephemeral?: boolean;
  [key: string]: unknown;
}

/** A message object as Discord sends it (button source messages, context-menu targets). */
export interface RawMessage {
  id: string;
  channel_id: string;
  content: string;
  author: RawUser;
  attachments: RawAttachment[];
  embeds: unknown[];
  components: unknown[];
  flags: number;
  [key: string]: unknown;
}

/** An INTERACTION_CREATE `d` payload. Loosely typed on purpose: tests may break it on purpose. */
export interface RawInteraction {
  id: string;
  application_id: string;
  type: number;
  token: string;
  version: 1;
  data: Record<string, unknown>;
  guild_id?: string;
  channel_id: string;
  channel: Record<string, unknown>;
  member?: Record<string, unknown>;
  user?: RawUser;
  message?: RawMessage;
  locale: string;
  guild_locale?: string;
  app_permissions: string;
  entitlements: unknown[];
  authorizing_integration_owners: Record<string, string>;
  context: number;
  attachment_size_limit: number;
  [key: string]: unknown;
}

/** Where and by whom an interaction was triggered. Every field has a default. */
export interface InteractionContextOptions {
  /** Interaction id; default a fresh snowflake whose timestamp is now. */
  id?: string;
  /** Interaction token; default a unique random string. */
  token?: string;
  /** Default {@link DEFAULT_IDS.applicationId}; must match the fake's `applicationId`. */
  applicationId?: string;
  /** Invoking user (merged over a default user with id {@link DEFAULT_IDS.userId}). */
  user?: Partial<RawUser>;
  /** Guild id; `null` means a DM with the bot (then `user` is sent instead of `member`). */
  guildId?: string | null;
  /** Channel id; default {@link DEFAULT_IDS.channelId} in a guild, a fresh snowflake in a DM. */
  channelId?: string;
  /** Channel `type`; default 0 (GUILD_TEXT) in a guild, 1 (DM) otherwise. */
  channelType?: number;
  /** User locale; default `en-US`. */
  locale?: string;
  /** Guild locale; default `en-US`. */
  guildLocale?: string;
  /** Member roles; default none. */
  roles?: string[];
  /** Member permissions as a bitfield; default {@link DEFAULT_MEMBER_PERMISSIONS}. */
  memberPermissions?: bigint;
  /**
   * App permissions. The fake recomputes this for channels it knows (as Discord does); this
   * value is used for channels it does not. Default {@link DEFAULT_MEMBER_PERMISSIONS}.
   */
  appPermissions?: bigint;
  /** Bytes; default {@link DEFAULT_ATTACHMENT_SIZE_LIMIT}. */
  attachmentSizeLimit?: number;
  /** Default `{"0": guildId}` in a guild and `{"0": "0"}` in a bot DM (guild install). */
  authorizingIntegrationOwners?: Record<string, string>;
  /** Interaction context type; default 0 (GUILD) or 1 (BOT_DM). */
  context?: number;
}

export function rawUser(overrides: Partial<RawUser> = {}): RawUser {
  const id = overrides.id ?? DEFAULT_IDS.userId;
  return {
    id,
    username: `user${id.slice(-4)}`,
    discriminator: '0',
    global_name: null,
    avatar: null,
    public_flags: 0,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
    ...overrides,
  };
}

function randomToken(): string {
  return `aW50ZXJhY3Rpb246${randomBytes(24).toString('base64url')}`;
}

function base(type: number, data: Record<string, unknown>, options: InteractionContextOptions): RawInteraction {
  const guildId = options.guildId === undefined ? DEFAULT_IDS.guildId : options.guildId;
  const user = rawUser(options.user);
  const inGuild = guildId !== null;
  const channelId = options.channelId ?? (inGuild ? DEFAULT_IDS.channelId : snowflake());
  const appPermissions = (options.appPermissions ?? DEFAULT_MEMBER_PERMISSIONS).toString();
  const memberPermissions = (options.memberPermissions ?? DEFAULT_MEMBER_PERMISSIONS).toString();
  const channel: Record<string, unknown> = inGuild
    ? {
        id: channelId,
        type: options.channelType ?? 0,
        guild_id: guildId,
        name: 'general',
        position: 0,
        parent_id: null,
        nsfw: false,
        topic: null,
        rate_limit_per_user: 0,
        last_message_id: null,
        flags: 0,
        permissions: memberPermissions,
      }
    : { id: channelId, type: options.channelType ?? 1, last_message_id: null, flags: 0, recipients: [user] };

  const payload: RawInteraction = {
    id: options.id ?? snowflake(),
    application_id: options.applicationId ?? DEFAULT_IDS.applicationId,
    type,
    token: options.token ?? randomToken(),
    version: 1,
    data,
    channel_id: channelId,
    channel,
    locale: options.locale ?? 'en-US',
    app_permissions: appPermissions,
    entitlements: [],
    authorizing_integration_owners: options.authorizingIntegrationOwners ?? { '0': inGuild ? guildId : '0' },
    context: options.context ?? (inGuild ? 0 : 1),
    attachment_size_limit: options.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
  };
  if (inGuild) {
    payload.guild_id = guildId;
    payload.guild_locale = options.guildLocale ?? 'en-US';
    payload.guild = { id: guildId, locale: payload.guild_locale, features: [] };
    payload.member = {
      user,
      roles: options.roles ?? [],
      permissions: memberPermissions,
      joined_at: new Date(snowflakeTimestampMs(DEFAULT_IDS.guildId)).toISOString(),
      premium_since: null,
      nick: null,
      avatar: null,
      banner: null,
      mute: false,
      deaf: false,
      pending: false,
      flags: 0,
      communication_disabled_until: null,
      unusual_dm_activity_until: null,
    };
  } else {
    payload.user = user;
  }
  return payload;
}

/** An application-command option as it appears in `data.options`. */
export interface RawCommandOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  options?: RawCommandOption[];
  focused?: boolean;
}

export interface SlashCommandOptions extends InteractionContextOptions {
  name: string;
  /** Raw `data.options` (use this for subcommands, strings, integers…). */
  options?: RawCommandOption[];
  /**
   * ATTACHMENT (type 11) options by option name. Each becomes `{name, type: 11, value: id}` in
   * `data.options` and `data.resolved.attachments[id]`. Use `fake.addAttachment()` to get
   * objects whose URLs the fake serves.
   */
  attachments?: Record<string, RawAttachment>;
  /** Command id; default a stable id derived from the name. */
  commandId?: string;
  /** Set for guild-scoped commands. */
  commandGuildId?: string;
}

function commandIdFor(name: string): string {
  let hash = 0n;
  for (const char of name) hash = (hash * 131n + BigInt(char.codePointAt(0) ?? 0)) % 1_000_000n;
  return (1_310_000_000_000_000_000n + hash).toString();
}

function commandData(type: number, options: SlashCommandOptions): Record<string, unknown> {
  const rawOptions: RawCommandOption[] = [...(options.options ?? [])];
  const data: Record<string, unknown> = {
    id: options.commandId ?? commandIdFor(options.name),
    name: options.name,
    type,
  };
  if (options.commandGuildId) data.guild_id = options.commandGuildId;
  const attachments = Object.entries(options.attachments ?? {});
  if (attachments.length > 0) {
    const resolved: Record<string, RawAttachment> = {};
    for (const [optionName, attachment] of attachments) {
      rawOptions.push({ name: optionName, type: 11, value: attachment.id });
      resolved[attachment.id] = attachment;
    }
    data.resolved = { attachments: resolved };
  }
  if (rawOptions.length > 0) data.options = rawOptions;
  return data;
}

/** CHAT_INPUT command (interaction type 2, command type 1). */
export function slashCommand(options: SlashCommandOptions): RawInteraction {
  return base(2, commandData(1, options), options);
}

/**
 * APPLICATION_COMMAND_AUTOCOMPLETE (interaction type 4). Mark the option being typed with
 * `focused: true`; values are partial strings, not validated against choices.
 */
export function autocomplete(options: SlashCommandOptions): RawInteraction {
  return base(4, commandData(1, options), options);
}

export interface RawMessageOptions {
  id?: string;
  channelId?: string;
  guildId?: string | null;
  content?: string;
  author?: Partial<RawUser>;
  attachments?: RawAttachment[];
  embeds?: unknown[];
  components?: unknown[];
  flags?: number;
  /** Message type; default 0 (DEFAULT). */
  type?: number;
  /** Set when the message was posted by the application (interaction response or bot message). */
  applicationId?: string;
  webhookId?: string;
}

/** A message object as Discord sends it (context-menu target, button source message). */
export function rawMessage(options: RawMessageOptions = {}): RawMessage {
  const id = options.id ?? snowflake();
  const guildId = options.guildId === undefined ? DEFAULT_IDS.guildId : options.guildId;
  const message: RawMessage = {
    id,
    type: options.type ?? 0,
    channel_id: options.channelId ?? DEFAULT_IDS.channelId,
    content: options.content ?? '',
    author: rawUser(options.author),
    attachments: options.attachments ?? [],
    embeds: options.embeds ?? [],
    components: options.components ?? [],
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    pinned: false,
    tts: false,
    timestamp: new Date(snowflakeTimestampMs(id)).toISOString(),
    edited_timestamp: null,
    flags: options.flags ?? 0,
  };
  if (guildId !== null) message.guild_id = guildId;
  if (options.applicationId) message.application_id = options.applicationId;
  if (options.webhookId) message.webhook_id = options.webhookId;
  return message;
}

export interface ButtonOptions extends InteractionContextOptions {
  customId: string;
  /**
   * The message the button is on. Pass `fake.wireMessage(id)` for a message the fake stored
   * (then deferUpdate/update/editReply act on it); default: a bot message in the channel.
   */
  message?: RawMessage;
  /** Component type; default 2 (BUTTON). */
  componentType?: number;
  /** For select menus: selected values. */
  values?: string[];
}

/** MESSAGE_COMPONENT (interaction type 3) for a button (or a select menu via `componentType`). */
export function button(options: ButtonOptions): RawInteraction {
  const data: Record<string, unknown> = { custom_id: options.customId, component_type: options.componentType ?? 2 };
  if (options.values) data.values = options.values;
  const payload = base(3, data, options);
  payload.message =
    options.message ??
    rawMessage({
      channelId: payload.channel_id,
      guildId: payload.guild_id ?? null,
      author: { id: options.applicationId ?? DEFAULT_IDS.botUserId, username: 'vidu-bot', bot: true },
      applicationId: payload.application_id,
      components: [{ type: 1, components: [{ type: 2, style: 1, custom_id: options.customId, label: 'Button' }] }],
    });
  return payload;
}

export interface MessageContextMenuOptions extends InteractionContextOptions {
  /** Command name (mixed case and spaces allowed for MESSAGE commands). */
  name: string;
  /** The message that was right-clicked; build it with {@link rawMessage}. */
  targetMessage: RawMessage;
  commandId?: string;
}

/** MESSAGE context-menu command (interaction type 2, command type 3). */
export function messageContextMenu(options: MessageContextMenuOptions): RawInteraction {
  const target = options.targetMessage;
  const data: Record<string, unknown> = {
    id: options.commandId ?? commandIdFor(options.name),
    name: options.name,
    type: 3,
    target_id: target.id,
    resolved: { messages: { [target.id]: target } },
  };
  return base(2, data, { channelId: target.channel_id, ...options });
}

/** A submitted Text Input inside a Label (the current modal layout). */
export function textInputValue(customId: string, value: string, id?: number): Record<string, unknown> {
  return { type: 18, id: id ?? 1, component: { type: 4, id: (id ?? 1) + 1, custom_id: customId, value } };
}

/** A submitted File Upload (type 19) inside a Label; `attachments` go to `data.resolved`. */
export function fileUploadValue(customId: string, attachments: RawAttachment[], id?: number): Record<string, unknown> {
  return {
    type: 18,
    id: id ?? 10,
    component: { type: 19, id: (id ?? 10) + 1, custom_id: customId, values: attachments.map((a) => a.id) },
    __attachments: attachments,
  };
}

export interface ModalSubmitOptions extends InteractionContextOptions {
  customId: string;
  /**
   * Submitted components: {@link textInputValue}, {@link fileUploadValue}, or raw objects
   * (the legacy action-row layout also parses).
   */
  components: Record<string, unknown>[];
  /** Set when the modal was opened from a component: the message that component is on. */
  message?: RawMessage;
}

/** MODAL_SUBMIT (interaction type 5). */
export function modalSubmit(options: ModalSubmitOptions): RawInteraction {
  const resolvedAttachments: Record<string, RawAttachment> = {};
  const components = options.components.map((component) => {
    const { __attachments, ...rest } = component;
    if (Array.isArray(__attachments)) {
      for (const attachment of __attachments as RawAttachment[]) resolvedAttachments[attachment.id] = attachment;
    }
    return rest;
  });
  const data: Record<string, unknown> = { custom_id: options.customId, components };
  if (Object.keys(resolvedAttachments).length > 0) data.resolved = { attachments: resolvedAttachments };
  const payload = base(5, data, options);
  if (options.message) payload.message = options.message;
  return payload;
}
