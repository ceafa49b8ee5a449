/**
 * Every submit carries `metadata.callback_url` (TOAPIS_WEBHOOK_URL) — until toapis answers
 * `400 webhook_not_configured` (the Token's webhooks are off or unconfigured; no task was
 * created). Then the same submit goes again once without it, `onNotConfigured` is told (once),
 * and no later submit of this process sends it again: until restart, the bot relies on polling
 * or on the Token's default URL.
 */
import type { UpstreamClient } from './client.js';
import { UpstreamWebhookNotConfiguredError } from './errors.js';

export interface CallbackUrlOptions {
  url: string;
  /** Called once, when the first submit is refused. */
  onNotConfigured(): void;
}

/** Wraps `client` so its submits carry the callback URL as described above. */
export function withCallbackUrl(client: UpstreamClient, options: CallbackUrlOptions): UpstreamClient & { readonly sendingCallback: boolean } {
  let sending = true;
  return {
    ...client,
    get sendingCallback() {
      return sending;
    },
    async submit(body, signal) {
      if (!sending) return client.submit(body, signal);
      try {
        return await client.submit({ ...body, metadata: { ...body.metadata, callback_url: options.url } }, signal);
      } catch (err) {
        if (!(err instanceof UpstreamWebhookNotConfiguredError)) throw err;
        const first = sending;
        sending = false;
        // Another submit may have met it first while this one was in flight: tell the admins once.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `sending` can change across the await above
        if (first) options.onNotConfigured();
        return client.submit(body, signal);
      }
    },
  };
}
