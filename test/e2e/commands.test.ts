import { afterEach, describe, expect, it } from 'vitest';
import { autocomplete } from '../fakes/interactions.js';
import { startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('command registration', () => {
  it('registers /vidu, /vidu-admin and Animate with Vidu once, and not again after a restart with the same definitions', async () => {
    world = await startWorld();
    expect(world.discord.commandPuts).toHaveLength(1);
    const names = world.discord.commands().map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['vidu', 'vidu-admin', 'Animate with Vidu']));
    const vidu = world.discord.commands().find((c) => c.name === 'vidu')!;
    const options = (vidu.options as { name: string }[]).map((o) => o.name);
    expect(options).toEqual([
      'prompt',
      'model',
      'duration',
      'resolution',
      'aspect_ratio',
      'audio',
      'seed',
      'audio_type',
      'off_peak',
      'image1',
      'image2',
      'image3',
      'image4',
      'image5',
      'image6',
      'image7',
    ]);
    await world.crash();
    await world.restart();
    expect(world.discord.commandPuts).toHaveLength(1);
  });
});

describe('aspect_ratio autocomplete', () => {
  it('suggests the documented ratios that match what was typed, and keeps a typed W:H', async () => {
    world = await startWorld();
    const ask = async (typed: string) => {
      const raw = autocomplete({
        name: 'vidu',
        options: [
          { name: 'prompt', type: 3, value: 'x' },
          { name: 'aspect_ratio', type: 3, value: typed, focused: true },
        ],
      });
      await world!.discord.injectInteraction(raw);
      const cb = await world!.discord.waitFor(() => world!.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300));
      expect(cb.type).toBe(8);
      return (cb.data as { choices: { value: string }[] }).choices.map((c) => c.value);
    };
    expect(await ask('')).toEqual(['16:9', '9:16', '1:1', '4:3', '3:4']);
    expect(await ask('1')).toEqual(['16:9', '1:1']);
    expect(await ask('21:9')).toEqual(['21:9', '16:9', '9:16', '1:1', '4:3', '3:4']);
  });
});
