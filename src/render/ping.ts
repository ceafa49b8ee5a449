import { ButtonStyle, ComponentType, MessageFlags } from 'discord.js';
import { t } from '../i18n/index.js';
import type { TaskRecord } from '../tasks/record.js';
import { messageUrl } from './render.js';

/**
 * The one message that notifies the requester when a result lands (edits notify no one). Plain
 * `content`, so the mention pings in every client; allowed mentions are limited to the requester.
 */
export interface PingPayload {
  content: string;
  flags: number;
  allowed_mentions: { parse: []; users: string[] };
  components: { type: ComponentType.ActionRow; components: { type: ComponentType.Button; style: ButtonStyle; label: string; custom_id: string }[] }[];
}

/** custom_id of the "Turn off pings" button: `pings:off:<userId>` (only that member may use it). */
export const PINGS_OFF_PREFIX = 'pings:off:';

/** The ping for `record`, whose result is the message `resultMessage` (pure). */
export function renderPing(record: TaskRecord, resultMessage: { channelId: string; messageId: string }): PingPayload {
  const locale = record.owner.locale;
  const user = `<@${record.owner.userId}>`;
  const link = messageUrl(record.owner.guildId, resultMessage.channelId, resultMessage.messageId);
  const content = t(locale, record.outcome?.kind === 'failed' ? 'ping.failed' : 'ping.ready', { user, link });
  return {
    content,
    // No embed of the linked message: the result is right above.
    flags: MessageFlags.SuppressEmbeds,
    allowed_mentions: { parse: [], users: [record.owner.userId] },
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.Button,
            style: ButtonStyle.Secondary,
            label: t(locale, 'button.pingsOff'),
            custom_id: `${PINGS_OFF_PREFIX}${record.owner.userId}`,
          },
        ],
      },
    ],
  };
}
