/**
 * Who may do what (issue 9): the server-side checks every command, click and modal submit goes
 * through. Nothing here trusts a custom_id: ownership comes from the stored record, permissions
 * from what Discord sent with the interaction (`member.permissions`), never from the id.
 */
import { PermissionFlagsBits, type RepliableInteraction } from 'discord.js';
import { t } from '../src/i18n/index.js';
import { checkAccess, describeSettingsRefusal, type GuildSettings } from '../src/settings/settings.js';
import type { TaskRecord } from '../src/tasks/record.js';

/**
 * A job id is the snowflake of the interaction that started it; a later clip of a story adds
 * `-<clip index>` (src/tasks/story.ts `clipJobId`).
 */
const JOB_ID = /^\d{17,20}(?:-[1-5])?$/;

/** Whether `id` can name a job at all (a forged or truncated custom_id cannot). */
export function isJobId(id: string | undefined): id is string {
  return id !== undefined && JOB_ID.test(id);
}

/** Actions on a job only its requester may take. */
export function isRequester(record: Pick<TaskRecord, 'owner'>, userId: string): boolean {
  return record.owner.userId === userId;
}

/**
 * Delete and Stop: the requester, or a member whose permissions (as Discord sent them with this
 * very interaction) include Manage Messages in the job's own server — a moderator elsewhere, or
 * anyone in a DM, moderates nothing.
 */
export function mayModerate(
  record: Pick<TaskRecord, 'owner'>,
  interaction: { user: { id: string }; guildId: string | null; memberPermissions: { has(bit: bigint): boolean } | null },
): boolean {
  if (isRequester(record, interaction.user.id)) return true;
  return (
    interaction.guildId !== null &&
    interaction.guildId === record.owner.guildId &&
    (interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false)
  );
}

/** The refusal a member gets for someone else's job, in their `locale`. */
export function notYours(record: Pick<TaskRecord, 'owner'>, locale: string): string {
  return t(locale, 'auth.notYours', { owner: `<@${record.owner.userId}>` });
}

/**
 * The server's access rules — paused, allowed channels, allowed roles — for this interaction,
 * from memory and the interaction alone (no I/O before the acknowledgement). The one copy of
 * this gate: `/vidu` (through startJob) and `/vidu-show` both call it. `undefined` = allowed.
 */
export function accessRefusal(interaction: RepliableInteraction, settings: GuildSettings): string | undefined {
  if (!interaction.inGuild()) return undefined;
  const member = interaction.member;
  const roleIds = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  const channel = interaction.channel;
  const access = checkAccess(settings, {
    channelId: interaction.channelId ?? '',
    parentChannelId: channel?.isThread() ? channel.parentId : null,
    roleIds,
    isAdmin: interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild),
  });
  return access ? describeSettingsRefusal(access, interaction.locale) : undefined;
}

/**
 * Whether the interaction reaches the bot only through a user install: a DM / group DM, or a
 * server that did not add the bot (its guild id is not among the authorizing owners).
 */
export function isDirectOrUserInstall(interaction: Pick<RepliableInteraction, 'guildId' | 'authorizingIntegrationOwners'>): boolean {
  if (interaction.guildId === null) return true;
  return interaction.authorizingIntegrationOwners[0] !== interaction.guildId;
}
