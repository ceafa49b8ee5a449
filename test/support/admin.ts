/**
 * `/vidu-admin` as a server admin sends it, for the e2e tests that configure a server first.
 * Channel and role options resolve in `data.resolved`, as Discord sends them.
 */
import { ApplicationCommandOptionType, ChannelType, PermissionFlagsBits } from 'discord-api-types/v10';
import { rawUser, slashCommand, type RawCommandOption, type RawInteraction } from '../fakes/interactions.js';
import type { World } from '../e2e/world.js';

/** The admin's user id in these tests. */
export const ADMIN_USER_ID = '1300000000000000999';
/** Manage Server: what `/vidu-admin` requires. */
export const MANAGE_GUILD = PermissionFlagsBits.ManageGuild;
/** A plain member in a channel: view + send. */
export const PLAIN = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages;

/** The interaction for `/vidu-admin <group> <sub>` (or `<sub>`) with these options, from the admin. */
export function adminCommand(path: string[], options: RawCommandOption[] = []): RawInteraction {
  const [first, second] = path;
  const inner: RawCommandOption[] = second
    ? [
        {
          name: first!,
          type: ApplicationCommandOptionType.SubcommandGroup,
          options: [{ name: second, type: ApplicationCommandOptionType.Subcommand, options }],
        },
      ]
    : [{ name: first!, type: ApplicationCommandOptionType.Subcommand, options }];
  const raw = slashCommand({ name: 'vidu-admin', options: inner, memberPermissions: MANAGE_GUILD | PLAIN, user: rawUser({ id: ADMIN_USER_ID }) });
  const resolved: Partial<Record<string, Record<string, unknown>>> = {};
  const channel: number = ApplicationCommandOptionType.Channel;
  const role: number = ApplicationCommandOptionType.Role;
  for (const o of options) {
    if (o.type === channel) {
      (resolved.channels ??= {})[String(o.value)] = { id: o.value, type: ChannelType.GuildText, name: 'videos', permissions: '0' };
    }
    if (o.type === role) {
      (resolved.roles ??= {})[String(o.value)] = {
        id: o.value,
        name: 'creators',
        color: 0,
        hoist: false,
        position: 1,
        permissions: '0',
        managed: false,
        mentionable: false,
        flags: 0,
      };
    }
  }
  if (Object.keys(resolved).length > 0) raw.data.resolved = resolved;
  return raw;
}

/** Sends {@link adminCommand} to the bot and resolves with the text of its reply. */
export async function admin(w: World, path: string[], options: RawCommandOption[] = []): Promise<string> {
  const raw = adminCommand(path, options);
  await w.discord.injectInteraction(raw);
  const reply = await w.discord.waitFor(() => {
    const m = w.discord.originalMessage(raw.token);
    return m && !m.loading ? m : undefined;
  });
  return reply.content;
}
