import type { GenerationRequest } from '../generation/request.js';
import type { TaskRecord } from './record.js';
import { INTERACTION_TOKEN_LIFETIME_MS, snowflakeTime } from './schedule.js';

export interface AcceptedInteraction {
  id: string;
  applicationId: string;
  token: string;
  userId: string;
  guildId: string | null;
  /** The command came through a user install (the bot is not in that server). */
  userInstall?: boolean;
  channelId: string;
  locale: string;
  attachmentSizeLimit: number;
  messageId: string | null;
  ephemeral: boolean;
}

/**
 * The first record of a job, written before anything is paid for. Its id and
 * `client_business_id` come from the interaction id, so a replay can never pay twice.
 */
export function newTaskRecord(
  interaction: AcceptedInteraction,
  request: GenerationRequest,
  options: { now: number; tokenMarginMs: number; clientBusinessId?: string },
): TaskRecord {
  return {
    v: 1,
    id: interaction.id,
    clientBusinessId: options.clientBusinessId ?? `vidu-${interaction.id}`,
    state: 'accepted',
    createdAt: options.now,
    updatedAt: options.now,
    owner: {
      userId: interaction.userId,
      guildId: interaction.guildId,
      ...(interaction.userInstall ? { userInstall: true } : {}),
      channelId: interaction.channelId,
      locale: interaction.locale.slice(0, 16),
    },
    reply: {
      applicationId: interaction.applicationId,
      token: interaction.token,
      tokenUsableUntil: snowflakeTime(interaction.id) + INTERACTION_TOKEN_LIFETIME_MS - options.tokenMarginMs,
      messageId: interaction.messageId,
      ephemeral: interaction.ephemeral,
      route: 'webhook',
      dmNotice: false,
    },
    attachmentSizeLimit: interaction.attachmentSizeLimit,
    request,
    nextAt: options.now,
    attempts: 0,
    polls: 0,
  };
}
