import { MessageFlags, PermissionFlagsBits, type RepliableInteraction } from 'discord.js';
import type { GenerationRequest } from '../src/generation/request.js';
import { joinList, t, tn } from '../src/i18n/index.js';
import { renderRefusal } from '../src/render/render.js';
import { newTaskRecord } from '../src/tasks/accept.js';
import { describeLimit } from '../src/tasks/limits.js';
import { checkAccess, checkCaps, describeSettingsRefusal, jobWeight, type GuildSettings } from '../src/settings/settings.js';
import { describeReservationRefusal } from '../src/settings/usage.js';
import type { TaskRecord } from '../src/tasks/record.js';
import type { CommandContext } from './types.js';

/** Recent job ids per member, newest first, for `/vidu-jobs`. */
export const MEMBER_JOBS_KEPT = 100;
export const memberJobsKey = (userId: string) => `jobs:${userId}`;

export interface StartOptions {
  /** Images already uploaded to toapis (a re-roll reuses them): the job starts at the submit. */
  uploadedImageUrls?: string[];
  parent?: TaskRecord['parent'];
}

/**
 * Shared by every entry point that starts a job: checks the member's limits, acknowledges,
 * writes the record, schedules it. Answers inside Discord's 3 s before any network call of ours.
 */
export async function startJob(
  interaction: RepliableInteraction,
  ctx: CommandContext,
  request: GenerationRequest,
  options: StartOptions = {},
): Promise<TaskRecord | undefined> {
  if (!ctx.accepting()) {
    await interaction.reply(renderRefusal(t(interaction.locale, 'job.restarting')));
    return undefined;
  }
  // Everything up to the acknowledgement is in memory: no network call before Discord's 3 s.
  const settings = ctx.settings.get(interaction.guildId);
  const refusal = serverRefusal(interaction, ctx, settings, request);
  if (refusal) {
    await interaction.reply(renderRefusal(refusal));
    return undefined;
  }
  const verdict = ctx.gate.check(interaction.user.id, ctx.scheduler.inFlightFor(interaction.user.id));
  if (!verdict.ok) {
    await interaction.reply(renderRefusal(describeLimit(verdict, interaction.locale)));
    return undefined;
  }
  const response = await interaction.deferReply({
    withResponse: true,
    ...(settings.replies === 'private' ? { flags: MessageFlags.Ephemeral } : {}),
  });
  let quota: TaskRecord['quota'];
  if (interaction.guildId && (settings.memberDailyLimit !== undefined || settings.serverDailyBudget !== undefined)) {
    const reservation = await ctx.usage.reserve(interaction.guildId, interaction.user.id, jobWeight(request), settings);
    if (!reservation.ok) {
      await interaction.editReply({ content: `⚠️ ${describeReservationRefusal(reservation, interaction.locale)}`, allowedMentions: { parse: [] } });
      return undefined;
    }
    quota = { weight: reservation.weight, day: reservation.day, memberLeft: reservation.memberLeft, serverLeft: reservation.serverLeft };
  }
  ctx.gate.record(interaction.user.id);
  if (interaction.guildId) ctx.lastStarts.set(`${interaction.guildId}:${interaction.user.id}`, ctx.now());
  // A deferred response has no `resource.message`; its id comes with the callback's interaction.
  const callback = response.interaction;
  let record = newTaskRecord(
    {
      id: interaction.id,
      applicationId: interaction.applicationId,
      token: interaction.token,
      userId: interaction.user.id,
      guildId: interaction.guildId,
      // Not installed in this server: only the installing user authorised the app here.
      userInstall: interaction.guildId !== null && interaction.authorizingIntegrationOwners[0] !== interaction.guildId,
      channelId: interaction.channelId ?? '',
      locale: interaction.locale,
      attachmentSizeLimit: interaction.attachmentSizeLimit,
      messageId: callback.responseMessageId,
      ephemeral: callback.responseMessageEphemeral ?? false,
    },
    request,
    { now: ctx.now(), tokenMarginMs: ctx.tokenMarginMs },
  );
  if (options.uploadedImageUrls) record = { ...record, state: 'submitting', uploadedImageUrls: options.uploadedImageUrls };
  if (options.parent) record = { ...record, parent: options.parent };
  if (quota) record = { ...record, quota };
  try {
    await ctx.store.put(record);
  } catch (err) {
    ctx.logger.error({ err, task: record.id }, 'store unavailable; job refused');
    if (quota && interaction.guildId) await ctx.usage.refund(interaction.guildId, interaction.user.id, quota.weight, quota.day).catch(() => undefined);
    await interaction.editReply({ content: `⚠️ ${t(interaction.locale, 'job.storageDown')}` });
    return undefined;
  }
  ctx.logger.info({ task: record.id, user: record.owner.userId, model: request.model, mode: request.mode, parent: record.parent?.id }, 'job accepted');
  ctx.scheduler.schedule(record.id, record.owner.userId);
  await rememberMemberJob(ctx, record).catch((err: unknown) => ctx.logger.warn({ err, task: record.id }, 'could not index the job for /vidu-jobs'));
  return record;
}

async function rememberMemberJob(ctx: CommandContext, record: TaskRecord): Promise<void> {
  const key = memberJobsKey(record.owner.userId);
  const ids = (await ctx.store.meta.get<string[]>(key)) ?? [];
  await ctx.store.meta.set(key, [record.id, ...ids.filter((id) => id !== record.id)].slice(0, MEMBER_JOBS_KEPT));
}

/** Bot permissions a delivery in a server channel needs (catalog keys of their names, for the refusal). */
const DELIVERY_PERMISSIONS = [
  [PermissionFlagsBits.ViewChannel, 'permission.viewChannel'],
  [PermissionFlagsBits.SendMessages, 'permission.sendMessages'],
  [PermissionFlagsBits.AttachFiles, 'permission.attachFiles'],
  [PermissionFlagsBits.ReadMessageHistory, 'permission.readMessageHistory'],
] as const;

/**
 * The server's rules (paused, channels, roles, caps, cooldown) and whether the bot will be able
 * to deliver here — all from memory and the interaction itself.
 */
function serverRefusal(interaction: RepliableInteraction, ctx: CommandContext, settings: GuildSettings, request: GenerationRequest): string | undefined {
  if (!interaction.inGuild()) return undefined;
  const locale = interaction.locale;
  const member = interaction.member;
  const roleIds = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  const channel = interaction.channel;
  const access = checkAccess(settings, {
    channelId: interaction.channelId ?? '',
    parentChannelId: channel?.isThread() ? channel.parentId : null,
    roleIds,
    isAdmin: interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild),
  });
  if (access) return describeSettingsRefusal(access, locale);
  const caps = checkCaps(settings, request);
  if (caps) return describeSettingsRefusal(caps, locale);
  if (settings.cooldownSeconds !== undefined) {
    const last = ctx.lastStarts.get(`${interaction.guildId}:${interaction.user.id}`);
    const until = last === undefined ? 0 : last + settings.cooldownSeconds * 1000;
    if (until > ctx.now()) return t(locale, 'rules.cooldown', { seconds: settings.cooldownSeconds, when: `<t:${Math.ceil(until / 1000)}:R>` });
  }
  // A guild install posts in the channel after 15 minutes; a user install (bot not in the server)
  // only needs to attach files to the interaction reply.
  const guildInstalled = interaction.authorizingIntegrationOwners[0] === interaction.guildId;
  const needed = guildInstalled ? DELIVERY_PERMISSIONS : DELIVERY_PERMISSIONS.filter(([bit]) => bit === PermissionFlagsBits.AttachFiles);
  const missing = needed.filter(([bit]) => !interaction.appPermissions.has(bit)).map(([, key]) => t(locale, key));
  if (missing.length > 0) return tn(locale, 'job.missingPermissions', missing.length, { permissions: joinList(locale, missing) });
  return undefined;
}
