/**
 * Wire shapes: the fake's stored objects as the API returns them (messages, attachments with
 * signed CDN URLs, channels, the GUILD_CREATE payload).
 */
import { createHmac } from 'node:crypto';
import { OverwriteType } from 'discord-api-types/v10';
import { DEFAULT_IDS, DEFAULT_MEMBER_PERMISSIONS, rawUser, snowflakeTimestampMs, type RawAttachment, type RawMessage, type RawUser } from '../interactions.js';
import { DEFAULTS, type ChannelState, type DiscordState, type GuildState } from './state.js';
import type { FakeMessage, FakeStoredAttachment } from './types.js';

/** A CDN URL signed like Discord's (`ex`, `is`, `hm`), valid for `attachmentUrlLifetimeMs`. */
export function signedUrl(s: DiscordState, path: string): string {
  const issuedS = Math.floor(s.now() / 1000);
  const expiresS = Math.floor((s.now() + (s.options.attachmentUrlLifetimeMs ?? DEFAULTS.attachmentUrlLifetimeMs)) / 1000);
  const ex = expiresS.toString(16);
  const is = issuedS.toString(16);
  const hm = createHmac('sha256', s.signingKey).update(`${path}|${ex}|${is}`).digest('hex');
  return `${s.origin}${path}?ex=${ex}&is=${is}&hm=${hm}&`;
}

export function wireAttachment(s: DiscordState, a: FakeStoredAttachment): RawAttachment {
  const url = signedUrl(s, a.cdnPath);
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

export function toWireMessage(s: DiscordState, m: FakeMessage): RawMessage {
  const author = m.authorId === s.botUserId ? s.botUser() : (s.users.get(m.authorId) ?? rawUser({ id: m.authorId }));
  const wire: RawMessage = {
    id: m.id,
    type: m.type,
    channel_id: m.channelId,
    content: m.content,
    author,
    attachments: m.attachments.map((a) => wireAttachment(s, a)),
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
  const it = m.interactionId ? s.interactions.get(m.interactionId) : undefined;
  if (it) {
    wire.webhook_id = s.applicationId;
    wire.application_id = s.applicationId;
    const metadata: Record<string, unknown> = {
      id: it.id,
      type: it.type,
      user: s.users.get(it.userId) ?? rawUser({ id: it.userId }),
      authorizing_integration_owners: it.raw.authorizing_integration_owners,
    };
    if (it.commandName) metadata.name = it.commandName;
    if (it.commandType !== null) metadata.command_type = it.commandType;
    if (m.source === 'followup' && it.originalMessageId) metadata.original_response_message_id = it.originalMessageId;
    wire.interaction_metadata = metadata;
  }
  return wire;
}

export function wireChannel(s: DiscordState, c: ChannelState): Record<string, unknown> {
  if (!c.guildId) {
    const recipient = c.recipientId ? (s.users.get(c.recipientId) ?? rawUser({ id: c.recipientId })) : null;
    return { id: c.id, type: c.type, last_message_id: null, flags: 0, recipients: recipient ? [recipient] : [] };
  }
  const deny = s.deniedBits(c);
  const guild = s.guilds.get(c.guildId);
  return {
    id: c.id,
    type: c.type,
    guild_id: c.guildId,
    name: c.name,
    position: guild ? guild.channelIds.indexOf(c.id) : 0,
    permission_overwrites: deny === 0n ? [] : [{ id: c.guildId, type: OverwriteType.Role, allow: '0', deny: deny.toString() }],
    parent_id: null,
    nsfw: false,
    topic: null,
    rate_limit_per_user: 0,
    last_message_id: null,
    flags: 0,
  };
}

export function guildCreatePayload(s: DiscordState, guild: GuildState): Record<string, unknown> {
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
    ...(managed ? { tags: { bot_id: s.botUserId } } : {}),
  });
  const members = [member(s.botUser(), [guild.botRoleId]), ...guild.members.map((u) => member(u, []))];
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
    roles: [role(guild.id, '@everyone', 0, false), role(guild.botRoleId, s.botUsername, 1, true)],
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
      const { guild_id: _omit, ...rest } = wireChannel(s, s.channels.get(id) as ChannelState);
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
