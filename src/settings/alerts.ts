import { ComponentType, MessageFlags } from 'discord.js';
import type { Outbox } from '../discord/outbox.js';
import { t } from '../i18n/index.js';
import type { Logger } from '../log.js';
import type { MessagePayload } from '../render/render.js';
import { StoredValueError, type Store } from '../store/index.js';
import type { SettingsCache } from './store.js';

/** The out-of-credits warning, in `locale` (a Discord locale; default en-US). */
export function renderCreditsAlert(locale = 'en-US'): MessagePayload {
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
            content: t(locale, 'alert.outOfCredits'),
          },
        ],
      },
    ],
  };
}

/**
 * Tells a server's admins about problems only they can fix, once per 24 h (`ALERT_QUIET_MS`, src/store/alerts.ts): in
 * the channel set with `/vidu-admin alerts`, else by DM to the server owner. Best effort.
 * Written in the server's preferred locale (`localeOf`; en-US when not given).
 */
export function createAdminAlerts(options: {
  outbox: Outbox;
  settings: SettingsCache;
  store: Pick<Store, 'creditAlerts'>;
  ownerOf(guildId: string): string | undefined;
  /** The server's preferred locale (a Discord locale, e.g. `ja`); default en-US. */
  localeOf?(guildId: string): string;
  logger: Logger;
  now: () => number;
}) {
  return {
    async outOfCredits(guildId: string | null): Promise<void> {
      if (!guildId) return;
      // Any stored row (readable or not) means the admins were warned within the quiet period.
      const warned = await options.store.creditAlerts.get(guildId).catch((err: unknown) => err instanceof StoredValueError || Promise.reject(err));
      if (warned) return;
      await options.store.creditAlerts.set(guildId, options.now());
      const channelId = options.settings.get(guildId).alertChannelId;
      const nonce = `credits${guildId}`.slice(0, 25);
      try {
        const alert = renderCreditsAlert(options.localeOf?.(guildId) ?? 'en-US');
        if (channelId) {
          await options.outbox.createMessage(channelId, alert, nonce);
        } else {
          const owner = options.ownerOf(guildId);
          if (!owner) throw new Error('server owner unknown');
          await options.outbox.createMessage(await options.outbox.openDm(owner), alert, nonce);
        }
        options.logger.warn({ guild: guildId, channel: channelId ?? 'owner DM' }, 'admins warned: out of credits');
      } catch (err) {
        options.logger.warn({ guild: guildId, err }, 'could not warn the admins about credits');
      }
    },
  };
}
