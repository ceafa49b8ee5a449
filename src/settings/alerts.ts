import { ComponentType, MessageFlags } from 'discord.js';
import type { Outbox } from '../discord/outbox.js';
import { t } from '../i18n/index.js';
import type { Logger } from '../log.js';
import type { MessagePayload } from '../render/render.js';
import { StoredValueError, type Store } from '../store/index.js';
import type { SettingsCache } from './store.js';

/** An admin warning box with one catalog text, in `locale` (a Discord locale; default en-US). */
function renderAlert(key: 'alert.outOfCredits' | 'alert.webhookNotConfigured' | 'alert.settingsFailedClosed', locale: string): MessagePayload {
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

/** The "settings could not be read, the server is paused" warning, in `locale`. */
export function renderSettingsAlert(locale = 'en-US'): MessagePayload {
  return renderAlert('alert.settingsFailedClosed', locale);
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
   * @returns whether the warning was posted.
   */
  async function warnAdmins(
    guildId: string,
    render: (locale: string) => MessagePayload,
    nonce: string,
    about: { done: string; failed: string },
  ): Promise<boolean> {
    const channelId = options.settings.get(guildId).alertChannelId;
    const owner = channelId ? undefined : options.ownerOf(guildId);
    if (!channelId && !owner) {
      options.logger.warn({ guild: guildId }, `${about.failed}: server owner unknown`);
      return false;
    }
    try {
      const target = channelId ?? (await options.outbox.openDm(owner!));
      await options.outbox.createMessage(target, render(options.localeOf?.(guildId) ?? 'en-US'), nonce.slice(0, 25));
      options.logger.warn({ guild: guildId, channel: channelId ?? 'owner DM' }, about.done);
      return true;
    } catch (err) {
      options.logger.warn({ guild: guildId, err }, about.failed);
      return false;
    }
  }

  const sendingSettingsAlert = new Set<string>();

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
    /**
     * Tells the admins of every server whose settings failed closed (src/store/settings.ts) and
     * who were not told yet — once per incident: the incident and whether it was told live in the
     * settings row itself, so a restart or another shard does not tell them again. Servers this
     * process cannot reach yet (owner unknown: not this shard's, or not loaded) wait for a later
     * call. Call it when the client is ready and after each settings refresh.
     */
    async settingsFailedClosed(): Promise<void> {
      for (const guildId of options.settings.failedClosedUnalerted()) {
        if (sendingSettingsAlert.has(guildId)) continue;
        if (!options.settings.get(guildId).alertChannelId && !options.ownerOf(guildId)) continue;
        sendingSettingsAlert.add(guildId);
        try {
          const sent = await warnAdmins(guildId, renderSettingsAlert, `settings${guildId}`, {
            done: 'admins warned: settings unreadable, server paused',
            failed: 'could not warn the admins about unreadable settings',
          });
          if (sent) await options.settings.update(guildId, (s) => (s.failedClosed ? { ...s, failedClosed: { ...s.failedClosed, alerted: true } } : s));
        } catch (err) {
          options.logger.warn({ guild: guildId, err }, 'could not record the settings alert');
        } finally {
          sendingSettingsAlert.delete(guildId);
        }
      }
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
