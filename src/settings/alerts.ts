import { ComponentType, MessageFlags } from 'discord.js';
import type Keyv from 'keyv';
import type { Outbox } from '../discord/outbox.js';
import type { Logger } from '../log.js';
import type { MessagePayload } from '../render/render.js';
import type { SettingsCache } from './store.js';

/** One warning per server per this long, ms (24 h). */
export const ALERT_QUIET_MS = 24 * 60 * 60 * 1000;

export function renderCreditsAlert(): MessagePayload {
  return {
    flags: MessageFlags.IsComponentsV2,
    allowed_mentions: { parse: [] },
    components: [
      {
        type: ComponentType.Container,
        accent_color: 0xfaa61a,
        components: [
          {
            type: ComponentType.TextDisplay,
            content:
              '⚠️ **vidu-bot: the toapis account is out of credits.** Members’ `/vidu` jobs are refused until it is topped up. ' +
              'Check it with `/vidu-admin balance`. (You are told once a day at most.)',
          },
        ],
      },
    ],
  };
}

/**
 * Tells a server's admins about problems only they can fix, once per {@link ALERT_QUIET_MS}: in
 * the channel set with `/vidu-admin alerts`, else by DM to the server owner. Best effort.
 */
export function createAdminAlerts(options: {
  outbox: Outbox;
  settings: SettingsCache;
  kv: Keyv;
  ownerOf(guildId: string): string | undefined;
  logger: Logger;
  now: () => number;
}) {
  return {
    async outOfCredits(guildId: string | null): Promise<void> {
      if (!guildId) return;
      const key = `alerted:credits:${guildId}`;
      if (await options.kv.get(key)) return;
      await options.kv.set(key, options.now(), ALERT_QUIET_MS);
      const channelId = options.settings.get(guildId).alertChannelId;
      const nonce = `credits${guildId}`.slice(0, 25);
      try {
        if (channelId) {
          await options.outbox.createMessage(channelId, renderCreditsAlert(), nonce);
        } else {
          const owner = options.ownerOf(guildId);
          if (!owner) throw new Error('server owner unknown');
          await options.outbox.createMessage(await options.outbox.openDm(owner), renderCreditsAlert(), nonce);
        }
        options.logger.warn({ guild: guildId, channel: channelId ?? 'owner DM' }, 'admins warned: out of credits');
      } catch (err) {
        options.logger.warn({ guild: guildId, err }, 'could not warn the admins about credits');
      }
    },
  };
}
