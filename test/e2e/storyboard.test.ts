import { afterEach, describe, expect, it } from 'vitest';
import { buildStoryboardPrompt, parseShotInput } from '../../src/generation/storyboard.js';
import { modalSubmit, slashCommand, textInputValue } from '../fakes/interactions.js';
import { messageText, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function openForm(w: World, options: { name: string; type: number; value: string | number }[] = []) {
  const raw = slashCommand({ name: 'vidu-storyboard', options });
  await w.discord.injectInteraction(raw);
  const cb = await w.discord.waitFor(() => w.discord.callbacks(raw.id).find((c) => c.status >= 200 && c.status < 300), { description: 'modal' });
  return cb;
}

describe('/vidu-storyboard', () => {
  it('opens a five-shot form, builds one viduq3-pro prompt, runs it as a job and shows the prompt', async () => {
    world = await startWorld();
    const cb = await openForm(world, [{ name: 'duration', type: 4, value: 8 }]);
    expect(cb.type).toBe(9);
    const modal = cb.data as { custom_id: string; components: { component: { custom_id: string } }[] };
    expect(modal.components.map((c) => c.component.custom_id)).toEqual(['shot1', 'shot2', 'shot3', 'shot4', 'shot5']);

    const inputs = ['A fox wakes up in a snowy den\nCamera: slow push-in', '', 'The fox leaps into the forest'];
    const submit = modalSubmit({ customId: modal.custom_id, components: inputs.map((v, i) => textInputValue(`shot${i + 1}`, v, i * 2 + 1)) });
    await world.discord.injectInteraction(submit);
    const final = await world.finalMessage(submit.token);
    const body = [...world.toapis.tasks.values()][0]!.body;
    expect(body.model).toBe('viduq3-pro');
    expect(body.duration).toBe(8);
    expect(body.prompt).toBe(buildStoryboardPrompt(inputs.map(parseShotInput)));
    expect(body.prompt).toContain('Shot 2: The fox leaps into the forest.');
    // The card shows the prompt it built.
    expect(messageText(final)).toContain('Shot 1: A fox wakes up in a snowy den. Camera: slow push\\-in.');
  });

  it('a shot with only a camera is refused clearly and nothing is submitted', async () => {
    world = await startWorld();
    const cb = await openForm(world);
    const submit = modalSubmit({
      customId: (cb.data as { custom_id: string }).custom_id,
      components: [textInputValue('shot1', 'A fox', 1), textInputValue('shot2', 'Camera: wide', 3)],
    });
    await world.discord.injectInteraction(submit);
    const reply = await world.discord.waitFor(() => world!.discord.callbacks(submit.id).find((c) => c.status < 300));
    expect(reply.type).toBe(4);
    expect((reply.data as { content: string }).content).toContain('Shot 2 gives only the camera');
    expect(world.toapis.tasks.size).toBe(0);
    expect(world.toapis.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});
