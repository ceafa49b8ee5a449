import { MessageFlags, PermissionFlagsBits, type RepliableInteraction } from 'discord.js';
import type { GenerationRequest } from '../src/generation/request.js';
import { joinList, t, tn } from '../src/i18n/index.js';
import { renderRefusal } from '../src/render/render.js';
import { newTaskRecord } from '../src/tasks/accept.js';
import { describeLimit, type LimitVerdict } from '../src/tasks/limits.js';
import { describeOperatorRefusal, type OperatorReservation } from '../src/settings/operator.js';
import { checkCaps, describeSettingsRefusal, jobWeight, withOffPeakPolicy, type GuildSettings } from '../src/settings/settings.js';
import { describeDefaultNote, type DefaultNote } from '../src/settings/effective.js';
import { describeReservationRefusal, utcDay, type Reservation } from '../src/settings/usage.js';
import { settleSpend } from '../src/settings/spend.js';
import { absentIfCorrupt } from '../src/store/index.js';
import { MEMBER_JOBS_KEPT } from '../src/store/member-jobs.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { hasForeignLibraryImages } from '../src/subjects/library.js';
import { accessRefusal, isDirectOrUserInstall } from './access.js';
import type { CommandContext } from './types.js';

/** Longest the member gate may take before the acknowledgement, ms (Discord allows 3 s in all). */
const GATE_TIMEOUT_MS = 1_500;

class GateTimeoutError extends Error {
  override name = 'GateTimeoutError';
}

/** `op`, or a {@link GateTimeoutError} after `ms`. */
async function withTimeout<T>(op: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      op,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new GateTimeoutError(`member gate: no answer in ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Recent job ids per member, newest first, for `/vidu-jobs`. */

export interface StartOptions {
  /** Images already uploaded to toapis (a re-roll reuses them): the job starts at the submit. */
  uploadedImageUrls?: string[];
  parent?: TaskRecord['parent'];
  /** Reply privately even where the server replies publicly (the member's own default). */
  ephemeral?: boolean;
  /** Member defaults a cap overrode (src/settings/effective.ts), shown on the card. */
  notes?: readonly DefaultNote[];
  /**
   * Later jobs reserved along with this one, each with this request's weight (a story's later
   * clips, by their job ids): all or nothing, each given back on its own. Default none.
   */
  alsoReserve?: readonly string[];
  /**
   * Called with the record and what was reserved, right before the record is written (before the
   * acknowledgement): writes what else the job needs (a story record) and returns the record to store.
   */
  prepare?(record: TaskRecord, reserved: Reserved): Promise<TaskRecord>;
}

/** What {@link startJob} reserved for a job against the server's and the operator's ledgers. */
export interface Reserved {
  /** The total reserved (this job's weight times the jobs reserved). */
  weight: number;
  /** The jobs it was reserved for: this one, then {@link StartOptions.alsoReserve}. */
  jobIds: readonly string[];
  quota?: NonNullable<TaskRecord['quota']>;
  operatorQuota?: NonNullable<TaskRecord['operatorQuota']>;
}

/**
 * Shared by every entry point that starts a job: checks who may, the server's rules and the
 * member's safeguards, acknowledges, reserves the daily caps, writes the record, schedules it.
 * Answers inside Discord's 3 s: before the acknowledgement there is one bounded store call (the
 * member gate) and no call to the upstream.
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
  // Saved subjects are their owner's: a request naming another member's library image (a forged
  // or copied record) is refused before anything is read, uploaded or submitted.
  if (hasForeignLibraryImages(request.images, interaction.user.id)) {
    ctx.logger.info({ by: interaction.user.id }, 'refused: library image of another member');
    await interaction.reply(renderRefusal(t(interaction.locale, 'auth.libraryNotYours')));
    return undefined;
  }
  // The server's rules and the operator's DM rule come from memory and the interaction.
  const settings = ctx.settings.get(interaction.guildId);
  request = withOffPeakPolicy(settings, request);
  const refusal = serverRefusal(interaction, ctx, settings, request);
  if (refusal) {
    await interaction.reply(renderRefusal(refusal));
    return undefined;
  }
  if (!ctx.operatorLimits.allowDms && isDirectOrUserInstall(interaction)) {
    await interaction.reply(renderRefusal(t(interaction.locale, 'cap.dmsOff')));
    return undefined;
  }
  // The member's safeguards live in the store (shared by every shard): one atomic check-and-record
  // before the acknowledgement, bounded well inside Discord's 3 s.
  const userId = interaction.user.id;
  let verdict: LimitVerdict;
  try {
    verdict = await withTimeout(ctx.gate.admitJob(userId, interaction.id), GATE_TIMEOUT_MS);
  } catch (err) {
    ctx.logger.error({ err, by: userId }, 'member gate unavailable; job refused');
    await interaction.reply(renderRefusal(t(interaction.locale, 'job.storageDown')));
    return undefined;
  }
  if (!verdict.ok) {
    await interaction.reply(renderRefusal(describeLimit(verdict, interaction.locale)));
    return undefined;
  }
  // The reservations and the record are made durable BEFORE the acknowledgement, so a process
  // killed right after acknowledging still has the job to resume — acknowledged and then
  // forgotten is the one loss a restart cannot repair (the soak found it). The wait is bounded
  // so a slow store cannot cost the 3 s window; past it we acknowledge and wait as before.
  const ephemeral = settings.replies === 'private' || options.ephemeral === true;
  const stored = storeNewJob(interaction, ctx, settings, request, options, ephemeral);
  await Promise.race([stored.then(noop, noop), delay(STORE_BEFORE_ACK_MS)]);
  let response;
  try {
    response = await interaction.deferReply({ withResponse: true, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
  } catch (err) {
    // Not acknowledged (Discord saw "did not respond"): the stored job must not run after all.
    await stored.then((o) => (o.ok ? abandon(ctx, o.record, o.reserved) : undefined)).catch(noop);
    throw err;
  }
  let record: TaskRecord;
  try {
    const outcome = await stored;
    if (!outcome.ok) {
      const content =
        outcome.refusal.kind === 'operator'
          ? describeOperatorRefusal(outcome.refusal.verdict, interaction.locale)
          : describeReservationRefusal(outcome.refusal.verdict, interaction.locale);
      await interaction.editReply({ content: `⚠️ ${content}`, allowedMentions: { parse: [] } });
      return undefined;
    }
    record = outcome.record;
  } catch (err) {
    ctx.logger.error({ err, task: interaction.id }, 'store unavailable; job refused');
    await interaction.editReply({ content: `⚠️ ${t(interaction.locale, 'job.storageDown')}` });
    return undefined;
  }
  // A deferred response has no `resource.message`; its id comes with the callback's interaction.
  const callback = response.interaction;
  if (callback.responseMessageId && callback.responseMessageId !== record.reply.messageId) {
    const known: TaskRecord = {
      ...record,
      reply: { ...record.reply, messageId: callback.responseMessageId, ephemeral: callback.responseMessageEphemeral ?? ephemeral },
    };
    // Without it the engine learns the id from its first edit; the job is stored either way.
    record = await ctx.store.put(known).then(
      () => known,
      (err: unknown) => {
        ctx.logger.warn({ err, task: record.id }, 'could not store the reply id; learnt from the first edit');
        return record;
      },
    );
  }
  ctx.logger.info({ task: record.id, user: record.owner.userId, model: request.model, mode: request.mode, parent: record.parent?.id }, 'job accepted');
  ctx.scheduler.schedule(record.id, record.owner.userId);
  await rememberMemberJob(ctx, record).catch((err: unknown) => ctx.logger.warn({ err, task: record.id }, 'could not index the job for /vidu-jobs'));
  return record;
}

/** Longest wait for the new job's record before acknowledging anyway, ms (Discord allows 3 s). */
const STORE_BEFORE_ACK_MS = 1_000;
const noop = () => undefined;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

type Stored =
  | { ok: true; record: TaskRecord; reserved: Reserved }
  | {
      ok: false;
      refusal: { kind: 'operator'; verdict: Extract<OperatorReservation, { ok: false }> } | { kind: 'server'; verdict: Extract<Reservation, { ok: false }> };
    };

/**
 * Reserves the job's weight against the operator's caps and the server's budget, then writes its
 * record; on a refusal or a failed write, gives back everything reserved or admitted for it.
 */
async function storeNewJob(
  interaction: RepliableInteraction,
  ctx: CommandContext,
  settings: GuildSettings,
  request: GenerationRequest,
  options: StartOptions,
  ephemeral: boolean,
): Promise<Stored> {
  const userId = interaction.user.id;
  const weight = jobWeight(request);
  let operatorQuota: TaskRecord['operatorQuota'];
  let quota: TaskRecord['quota'];
  const jobId = interaction.id;
  const jobIds = [jobId, ...(options.alsoReserve ?? [])];
  const day = utcDay(ctx.now());
  /**
   * Gives back whatever was reserved or admitted for this job: nothing was started. Refunds go by
   * job id and are idempotent, so a reservation whose answer was lost (a timeout) is given back too.
   */
  const undo = async () => {
    await ctx.gate.cancel(userId, jobId).catch((err: unknown) => ctx.logger.warn({ err }, 'could not cancel the admission'));
    for (const id of jobIds) {
      await ctx.operator.refund(id, operatorQuota?.day ?? day).catch((err: unknown) => ctx.logger.warn({ err }, 'operator refund failed'));
      if (interaction.guildId)
        await ctx.usage.refund(interaction.guildId, quota?.day ?? day, id).catch((err: unknown) => ctx.logger.warn({ err }, 'refund failed'));
    }
  };
  try {
    const operator = await ctx.operator.reserve(userId, weight, jobIds);
    if (!operator.ok) {
      ctx.logger.info({ by: userId, scope: operator.scope, used: operator.used, limit: operator.limit }, 'refused: operator daily cap');
      await undo();
      return { ok: false, refusal: { kind: 'operator', verdict: operator } };
    }
    if (operator.reserved) operatorQuota = { weight, day: operator.day };
    if (interaction.guildId && (settings.memberDailyLimit !== undefined || settings.serverDailyBudget !== undefined)) {
      const reservation = await ctx.usage.reserve(interaction.guildId, userId, weight, settings, jobIds);
      if (!reservation.ok) {
        await undo();
        return { ok: false, refusal: { kind: 'server', verdict: reservation } };
      }
      // The record carries its own share; the later jobs' shares are theirs.
      quota = { weight, day: reservation.day, memberLeft: reservation.memberLeft, serverLeft: reservation.serverLeft };
    }
    if (interaction.guildId) ctx.lastStarts.set(`${interaction.guildId}:${userId}`, ctx.now());
    let record = newTaskRecord(
      {
        id: interaction.id,
        applicationId: interaction.applicationId,
        token: interaction.token,
        userId,
        guildId: interaction.guildId,
        // Not installed in this server: only the installing user authorised the app here.
        userInstall: interaction.guildId !== null && interaction.authorizingIntegrationOwners[0] !== interaction.guildId,
        channelId: interaction.channelId ?? '',
        locale: interaction.locale,
        attachmentSizeLimit: interaction.attachmentSizeLimit,
        // Known once acknowledged (or from the first edit).
        messageId: null,
        ephemeral,
      },
      request,
      { now: ctx.now(), tokenMarginMs: ctx.tokenMarginMs },
    );
    if (options.uploadedImageUrls) record = { ...record, state: 'submitting', uploadedImageUrls: options.uploadedImageUrls };
    if (options.parent) record = { ...record, parent: options.parent };
    if (quota) record = { ...record, quota };
    if (operatorQuota) record = { ...record, operatorQuota };
    if (options.notes?.length) record = { ...record, notes: options.notes.slice(0, 5).map((n) => describeDefaultNote(n, interaction.locale).slice(0, 300)) };
    const reserved: Reserved = { weight: weight * jobIds.length, jobIds, ...(quota ? { quota } : {}), ...(operatorQuota ? { operatorQuota } : {}) };
    if (options.prepare) record = await options.prepare(record, reserved);
    await ctx.store.put(record);
    return { ok: true, record, reserved };
  } catch (err) {
    await undo();
    throw err;
  }
}

/**
 * Closes a stored job that was never acknowledged: finished, nothing delivered, its weight (and
 * that of the later jobs reserved with it) given back.
 */
async function abandon(ctx: CommandContext, record: TaskRecord, reserved: Reserved): Promise<void> {
  const closed: TaskRecord = { ...record, state: 'done', outcome: { kind: 'failed', code: 'upstream_unavailable' }, updatedAt: ctx.now() };
  // Given back first (idempotent): a kill before the record is closed cannot keep the weight counted.
  await settleSpend(ctx, closed);
  for (const id of reserved.jobIds.slice(1)) {
    if (record.operatorQuota) await ctx.operator.refund(id, record.operatorQuota.day);
    if (record.quota && record.owner.guildId) await ctx.usage.refund(record.owner.guildId, record.quota.day, id);
  }
  await ctx.gate.cancel(record.owner.userId, record.id).catch(noop);
  await ctx.store.put(closed);
}

/** Tells the member, privately, which of their defaults the server did not allow and what was used. */
export async function tellDefaultNotes(interaction: RepliableInteraction, ctx: CommandContext, notes: readonly DefaultNote[]): Promise<void> {
  const content = notes.map((n) => `ℹ️ ${describeDefaultNote(n, interaction.locale)}`).join('\n');
  await interaction
    .followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } })
    .catch((err: unknown) => ctx.logger.info({ err }, 'could not tell the member about their defaults'));
}

async function rememberMemberJob(ctx: CommandContext, record: TaskRecord): Promise<void> {
  const userId = record.owner.userId;
  // An unreadable index starts again with this job rather than losing the job itself.
  const ids = (await ctx.store.memberJobs.get(userId).catch(absentIfCorrupt)) ?? [];
  await ctx.store.memberJobs.set(userId, [record.id, ...ids.filter((id) => id !== record.id)].slice(0, MEMBER_JOBS_KEPT));
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
  const access = accessRefusal(interaction, settings);
  if (access) return access;
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
