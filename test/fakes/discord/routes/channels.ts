/**
 * Channel routes besides messages: the channel object, typing, and opening a DM channel.
 * Every channel route checks the bot's access first (unknown 10003, not a member / no view 50001).
 */
import { ChannelType } from 'discord-api-types/v10';
import { snowflake } from '../../interactions.js';
import { errors, type Reply } from '../errors.js';
import { route, type RouteContext, type RouteDef } from '../http.js';
import type { ChannelState, DiscordState } from '../state.js';
import { asRecord } from '../util.js';
import { wireChannel } from '../wire.js';

export function channelRoutes(s: DiscordState): RouteDef[] {
  return [
    route('POST', '/users/@me/channels', 'bot', (ctx) => createDm(s, ctx)),
    route('GET', '/channels/:channel', 'bot', (ctx) => getChannel(s, ctx)),
    route('POST', '/channels/:channel/typing', 'bot', (ctx) => typing(s, ctx)),
  ];
}

/** The channel, with the bot's access checked. */
export function accessibleChannel(s: DiscordState, ctx: RouteContext): ChannelState {
  const channel = s.channels.get(ctx.params.channel ?? '');
  if (!channel) errors.unknownChannel();
  const c = channel as ChannelState;
  if (c.guildId) {
    const guild = s.guilds.get(c.guildId);
    if (!guild?.botMember || !c.access.view) errors.missingAccess();
  }
  return c;
}

function getChannel(s: DiscordState, ctx: RouteContext): Reply {
  return { status: 200, body: wireChannel(s, accessibleChannel(s, ctx)) };
}

function typing(s: DiscordState, ctx: RouteContext): Reply {
  const channel = accessibleChannel(s, ctx);
  if (!channel.access.send) errors.missingPermissions();
  return { status: 204 };
}

function createDm(s: DiscordState, ctx: RouteContext): Reply {
  const recipientId = asRecord(ctx.body).recipient_id;
  if (typeof recipientId !== 'string' || !/^\d{15,20}$/.test(recipientId)) {
    errors.invalidForm([[['recipient_id'], 'NUMBER_TYPE_COERCE', 'Value is not snowflake.']]);
  }
  const userId = recipientId as string;
  let channelId = s.dmChannelByUser.get(userId);
  if (!channelId) {
    channelId = snowflake();
    s.dmChannelByUser.set(userId, channelId);
    s.channels.set(channelId, {
      id: channelId,
      guildId: null,
      name: '',
      type: ChannelType.DM,
      access: { view: true, send: true, attach: true, readHistory: true },
      recipientId: userId,
    });
  }
  return { status: 200, body: wireChannel(s, s.channels.get(channelId) as ChannelState) };
}
