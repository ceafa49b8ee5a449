/**
 * Reading what the bot answered, for the e2e tests: the custom_ids a message offers (through
 * nested Components V2 containers and action rows) and the text of an ephemeral refusal.
 */
import { InteractionResponseType, MessageFlags } from 'discord-api-types/v10';
import { expect } from 'vitest';
import type { FakeMessage } from '../fakes/discord.js';
import type { RawInteraction } from '../fakes/interactions.js';
import type { World } from '../e2e/world.js';

/** Every custom_id in a message's components, in order, however deeply nested. */
export function customIds(message: Pick<FakeMessage, 'components'>): string[] {
  const out: string[] = [];
  const walk = (c: unknown) => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    if (typeof o.custom_id === 'string') out.push(o.custom_id);
    if (Array.isArray(o.components)) o.components.forEach(walk);
  };
  message.components.forEach(walk);
  return out;
}

/** The content of the bot's first accepted answer to `raw`, asserted to be an ephemeral message (type 4). */
export async function ephemeralReply(w: World, raw: RawInteraction): Promise<string> {
  const cb = await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
  expect(cb.type).toBe(InteractionResponseType.ChannelMessageWithSource);
  const data = cb.data as { content: string; flags: number };
  expect(data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  return data.content;
}
