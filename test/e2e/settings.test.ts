import { afterEach, describe, expect, it } from 'vitest';
import type { FakeMessage } from '../fakes/discord.js';
import { button, rawUser, slashCommand, type RawCommandOption, type RawInteraction } from '../fakes/interactions.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const MANAGE_GUILD = 1n << 5n;
const PLAIN = (1n << 10n) | (1n << 11n);
const OTHER_USER = '1300000000000000777';

interface Control {
  custom_id: string;
  type: number;
  label?: string;
  options?: { value: string; default?: boolean }[];
}
function controls(message: Pick<FakeMessage, 'components'>): Control[] {
  const out: Control[] = [];
  const walk = (c: unknown) => {
    if (!c || typeof c !== 'object') return;
    const o = c as Record<string, unknown>;
    if (typeof o.custom_id === 'string') out.push(o as unknown as Control);
    if (Array.isArray(o.components)) o.components.forEach(walk);
  };
  message.components.forEach(walk);
  return out;
}
const selected = (message: FakeMessage, field: string) =>
  controls(message)
    .find((c) => c.custom_id.startsWith(`prefs:set:${field}:`))
    ?.options?.find((o) => o.default)?.value;

async function openPanel(w: World, userId?: string): Promise<{ raw: RawInteraction; panel: FakeMessage }> {
  const raw = slashCommand({ name: 'vidu-settings', options: [], ...(userId ? { user: rawUser({ id: userId }) } : {}) });
  await w.discord.injectInteraction(raw);
  const panel = await w.discord.waitFor(() => w.discord.originalMessage(raw.token), { description: 'settings panel' });
  return { raw, panel };
}

/** Picks `value` in the panel's select for `field` (as `userId`, default the panel's owner). */
async function pick(w: World, panel: FakeMessage, field: string, value: string, userId?: string): Promise<RawInteraction> {
  const id = controls(panel).find((c) => c.custom_id.startsWith(`prefs:set:${field}:`))!.custom_id;
  const raw = button({
    customId: id,
    componentType: 3,
    values: [value],
    message: w.discord.wireMessage(panel.id),
    ...(userId ? { user: rawUser({ id: userId }) } : {}),
  });
  await w.discord.injectInteraction(raw);
  await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300), { description: 'select answered' });
  return raw;
}

async function admin(w: World, sub: string, options: RawCommandOption[]) {
  const raw = slashCommand({
    name: 'vidu-admin',
    options: [{ name: sub, type: 1, options }],
    memberPermissions: MANAGE_GUILD | PLAIN,
    user: rawUser({ id: '1300000000000000999' }),
  });
  await w.discord.injectInteraction(raw);
  // Deferred, then edited with the confirmation once the settings are written.
  await w.discord.waitFor(() => (w.discord.originalMessage(raw.token)?.content ? true : undefined), { description: 'admin reply' });
}

describe('/vidu-settings', () => {
  it('shows a private Components V2 panel with a select per default and the pings/reset buttons', async () => {
    world = await startWorld();
    const { raw, panel } = await openPanel(world);
    expect(panel.flags & 64).toBe(64);
    expect(panel.flags & (1 << 15)).toBe(1 << 15);
    const ids = controls(panel).map((c) => c.custom_id);
    for (const f of ['model', 'resolution', 'duration', 'aspectRatio', 'audio', 'audioType', 'offPeak', 'privateReplies']) {
      expect(ids).toContain(`prefs:set:${f}:${(raw.member as { user: { id: string } }).user.id}`);
    }
    expect(ids.some((id) => id.startsWith('prefs:pings:'))).toBe(true);
    expect(messageText(panel)).toContain('Your defaults for `/vidu`');
    expect(selected(panel, 'resolution')).toBe('-');
  });

  it('keeps working after a restart, and /vidu then uses the saved defaults', async () => {
    world = await startWorld();
    const { panel } = await openPanel(world);
    await pick(world, panel, 'resolution', '1080p');
    expect(selected(world.discord.messages.get(panel.id)!, 'resolution')).toBe('1080p');
    await world.crash();
    await world.restart();
    // The same (old) panel message, clicked after the restart.
    await pick(world, panel, 'duration', '8');
    const after = world.discord.messages.get(panel.id)!;
    expect(selected(after, 'resolution')).toBe('1080p');
    expect(selected(after, 'duration')).toBe('8');

    const job = world.vidu();
    await world.discord.injectInteraction(job);
    await world.finalMessage(job.token);
    const body = [...world.toapis.tasks.values()][0]!.body;
    expect([body.resolution, body.duration]).toEqual(['1080p', 8]);
    // What the member types still wins.
    const typed = world.vidu({ options: { resolution: '540p' } });
    await world.discord.injectInteraction(typed);
    await world.finalMessage(typed.token);
    expect([...world.toapis.tasks.values()][1]!.body.resolution).toBe('540p');
  });

  it('a default above a server cap is used as the cap allows and reported, not changed', async () => {
    world = await startWorld();
    const { panel } = await openPanel(world);
    await pick(world, panel, 'resolution', '1080p');
    await admin(world, 'caps', [{ name: 'max_resolution', type: 3, value: '720p' }]);
    const job = world.vidu();
    await world.discord.injectInteraction(job);
    const final = await world.finalMessage(job.token);
    expect([...world.toapis.tasks.values()][0]!.body.resolution).toBe('720p');
    // Said on the job's own card.
    expect(messageText(final)).toContain('Your default 1080p is above this server’s cap 720p; using 720p.');
    // The stored default is still 1080p.
    const again = await openPanel(world);
    expect(selected(again.panel, 'resolution')).toBe('1080p');
    expect(messageText(again.panel)).toContain('using 720p');
  });

  it('someone else’s click on the panel is refused and changes nothing', async () => {
    world = await startWorld();
    const { panel } = await openPanel(world);
    const raw = await pick(world, panel, 'model', 'viduq3-pro', OTHER_USER);
    const cb = world.discord.callbacks(raw.id).find((c) => c.status < 300)!;
    expect(cb.type).toBe(4);
    expect((cb.data as { content: string }).content).toContain('someone else’s settings');
    const mine = await openPanel(world);
    expect(selected(mine.panel, 'model')).toBe('-');
    const theirs = await openPanel(world, OTHER_USER);
    expect(selected(theirs.panel, 'model')).toBe('-');
  });

  it('pings toggle and reset', async () => {
    world = await startWorld();
    const { panel } = await openPanel(world);
    const pingId = controls(panel).find((c) => c.custom_id.startsWith('prefs:pings:'))!;
    expect(pingId.label).toContain('on');
    const raw = button({ customId: pingId.custom_id, message: world.discord.wireMessage(panel.id) });
    await world.discord.injectInteraction(raw);
    await world.discord.waitFor(() =>
      controls(world!.discord.messages.get(panel.id)!).find((c) => c.custom_id.startsWith('prefs:pings:') && c.label?.includes('off')),
    );
    await pick(world, panel, 'audio', 'off');
    const reset = controls(world.discord.messages.get(panel.id)!).find((c) => c.custom_id.startsWith('prefs:reset:'))!;
    const r = button({ customId: reset.custom_id, message: world.discord.wireMessage(panel.id) });
    await world.discord.injectInteraction(r);
    await world.discord.waitFor(() => world!.discord.callbacks(r.id).find((c) => c.status < 300));
    const after = world.discord.messages.get(panel.id)!;
    expect(selected(after, 'audio')).toBe('-');
    expect(controls(after).find((c) => c.custom_id.startsWith('prefs:pings:'))!.label).toContain('on');
  });
});
