import { ComponentType, MessageFlags } from 'discord.js';
import type { Outbox } from '../discord/outbox.js';
import { t } from '../i18n/index.js';
import type { Logger } from '../log.js';
import type { MessagePayload } from '../render/render.js';
import { StoredValueError, type Store } from '../store/index.js';
import type { SettingsCache } from './store.js';

/** An admin warning box with one catalog text, in `locale` (a Discord locale; default en-US). */
function renderAlert(key: 'alert.outOfCredits' | 'alert.webhookNotConfigured', locale: string): MessagePayload {
  return {
    flags: MessageFlags.IsComponentsV2,
    allowed_mentions: { parse: [] },
    components: [
      {
        type: ComponentType.Container,
        accent_color: 0xfaa61a,
        components: [{ type: ComponentType.TextDisplay, content: t(locale, key) }],
      },
    ],
  };
}

/** The out-of-credits warning, in `locale` (a Discord locale; default en-US). */
export function renderCreditsAlert(locale = 'en-US'): MessagePayload {
  return renderAlert('alert.outOfCredits', locale);
}

/** The "webhooks are not configured on the toapis Token" warning, in `locale`. */
export function renderWebhookAlert(locale = 'en-US'): MessagePayload {
  return renderAlert('alert.webhookNotConfigured', locale);
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
  /**
   * Posts `render(locale)` in the alert channel, else by DM to the server owner. Best effort:
   * a failure (or no known owner) is logged, never thrown.
   */
  async function warnAdmins(
    guildId: string,
    render: (locale: string) => MessagePayload,
    nonce: string,
    about: { done: string; failed: string },
  ): Promise<void> {
    const channelId = options.settings.get(guildId).alertChannelId;
    const owner = channelId ? undefined : options.ownerOf(guildId);
    if (!channelId && !owner) {
      options.logger.warn({ guild: guildId }, `${about.failed}: server owner unknown`);
      return;
    }
    try {
      const target = channelId ?? (await options.outbox.openDm(owner!));
      await options.outbox.createMessage(target, render(options.localeOf?.(guildId) ?? 'en-US'), nonce.slice(0, 25));
      options.logger.warn({ guild: guildId, channel: channelId ?? 'owner DM' }, about.done);
    } catch (err) {
      options.logger.warn({ guild: guildId, err }, about.failed);
    }
  }

  return {
    /**
     * TOAPIS_WEBHOOK_URL is set but the toapis Token has no webhook configured (the caller calls
     * this once per process); results still arrive, by polling.
     */
    async webhookNotConfigured(guildId: string | null): Promise<void> {
      if (!guildId) return;
      await warnAdmins(guildId, renderWebhookAlert, `webhook${guildId}`, {
        done: 'admins warned: toapis webhooks not configured',
        failed: 'could not warn the admins about webhooks',
      });
    },
    async outOfCredits(guildId: string | null): Promise<void> {
      if (!guildId) return;
      // Any stored row (readable or not) means the admins were warned within the quiet period.
      const warned = await options.store.creditAlerts.get(guildId).catch((err: unknown) => err instanceof StoredValueError || Promise.reject(err));
      if (warned) return;
      await options.store.creditAlerts.set(guildId, options.now());
      await warnAdmins(guildId, renderCreditsAlert, `credits${guildId}`, {
        done: 'admins warned: out of credits',
        failed: 'could not warn the admins about credits',
      });
    },
  };
}
