import { describe, expect, it } from 'vitest';
import { MAX_PROMPT_CHARS } from '../../src/generation/models.js';
import { MAX_SHOTS, StoryboardError, buildStoryboardPrompt, describeStoryboardError, parseShotInput } from '../../src/generation/storyboard.js';

describe('parseShotInput', () => {
  it.each([
    ['', undefined],
    ['   \n  ', undefined],
    ['A fox runs through snow', { action: 'A fox runs through snow' }],
    ['A fox runs\nthrough   snow', { action: 'A fox runs through snow' }],
    ['A fox runs\nCamera: low tracking shot', { action: 'A fox runs', camera: 'low tracking shot' }],
    ['camera : wide\nA fox sits', { action: 'A fox sits', camera: 'wide' }],
    ['一只狐狸坐着\n镜头：缓慢推进', { action: '一只狐狸坐着', camera: '缓慢推进' }],
    ['Un zorro\ncámara: plano general', { action: 'Un zorro', camera: 'plano general' }],
    ['Camera: only a camera', { action: '', camera: 'only a camera' }],
    ['The cameraman waves', { action: 'The cameraman waves' }],
  ])('%j → %j', (input, expected) => {
    expect(parseShotInput(input)).toEqual(expected);
  });
});

describe('buildStoryboardPrompt', () => {
  it.each<[string, Parameters<typeof buildStoryboardPrompt>[0], string]>([
    ['one shot', [{ action: 'A fox runs' }], 'A single continuous shot.\nShot 1: A fox runs.'],
    [
      'shots in order, cameras where given, own punctuation kept',
      [{ action: 'A fox wakes up!', camera: 'close-up' }, { action: 'It runs into the forest' }],
      'A multi-shot video of 2 shots, cut in this order:\nShot 1: A fox wakes up! Camera: close-up.\nShot 2: It runs into the forest.',
    ],
    [
      'empty inputs between shots close up',
      [undefined, { action: 'First' }, undefined, { action: 'Second', camera: 'pan left' }, undefined],
      'A multi-shot video of 2 shots, cut in this order:\nShot 1: First.\nShot 2: Second. Camera: pan left.',
    ],
  ])('%s', (_name, shots, prompt) => {
    expect(buildStoryboardPrompt(shots)).toBe(prompt);
  });

  const refusal = (fn: () => unknown): StoryboardError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof StoryboardError) return err;
      throw err;
    }
    throw new Error('expected a StoryboardError');
  };

  it.each<[string, Parameters<typeof buildStoryboardPrompt>[0], StoryboardError['code'], string]>([
    ['no shot at all', [undefined, undefined], 'no_shots', 'Describe at least one shot: what happens in it.'],
    [
      'a camera with nothing happening names its input',
      [{ action: 'A fox' }, undefined, { action: '', camera: 'wide' }],
      'camera_without_action',
      'Shot 3 gives only the camera. Say what happens in it too, or clear it.',
    ],
    ['more than five shots', Array.from({ length: MAX_SHOTS + 1 }, () => ({ action: 'x' })), 'too_many_shots', 'A storyboard takes at most 5 shots.'],
  ])('refuses %s with a clear message', (_name, shots, code, text) => {
    const err = refusal(() => buildStoryboardPrompt(shots));
    expect(err.code).toBe(code);
    expect(describeStoryboardError(err)).toBe(text);
    expect(describeStoryboardError(err, 'ko')).not.toBe(text);
  });

  it('fits the 5000-character limit exactly, and refuses one character more with the numbers', () => {
    const head = buildStoryboardPrompt([{ action: 'x' }]).length - 1; // the prompt around a 1-character action, full stop included
    const fits = 'a'.repeat(MAX_PROMPT_CHARS - head);
    expect([...buildStoryboardPrompt([{ action: fits }])]).toHaveLength(MAX_PROMPT_CHARS);
    const err = refusal(() => buildStoryboardPrompt([{ action: `${fits}a` }]));
    expect(err.code).toBe('too_long');
    expect(describeStoryboardError(err)).toBe(
      `These shots make a prompt of ${MAX_PROMPT_CHARS + 1} characters; the limit is ${MAX_PROMPT_CHARS}. Shorten them by 1 characters.`,
    );
  });

  it('counts code points, so emoji and CJK count once each', () => {
    const head = buildStoryboardPrompt([{ action: 'x' }]).length - 1;
    const emoji = '🦊'.repeat(MAX_PROMPT_CHARS - head);
    expect([...buildStoryboardPrompt([{ action: emoji }])]).toHaveLength(MAX_PROMPT_CHARS);
  });
});
