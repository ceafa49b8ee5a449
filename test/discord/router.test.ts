/**
 * The router on its own, with hand-made interactions (the duck-typed surface it reads): commands
 * by name, components by custom_id prefix, a refusal for a custom_id no route owns, and a short
 * generic note when a handler fails.
 */
import { ApplicationCommandType, type Interaction } from 'discord.js';
import { describe, expect, it, vi } from 'vitest';
import { parseCustomId, type Command, type CommandContext, type ComponentRoute } from '../../commands/types.js';
import { createRouter } from '../../src/discord/router.js';
import { t } from '../../src/i18n/index.js';
import { renderRefusal } from '../../src/render/render.js';

type Kind = 'chat' | 'autocomplete' | 'contextMenu' | 'button' | 'modal' | 'select' | 'other';

/** An interaction of `kind` that records what the router answered. */
function fakeInteraction(kind: Kind, o: { commandName?: string; customId?: string; deferred?: boolean; replied?: boolean; replyFails?: boolean } = {}) {
  const replies: unknown[] = [];
  const edits: unknown[] = [];
  const interaction = {
    id: '1300000000000000001',
    locale: 'en-US',
    user: { id: '1300000000000000002' },
    commandName: o.commandName ?? 'vidu',
    customId: o.customId ?? '',
    deferred: o.deferred ?? false,
    replied: o.replied ?? false,
    isAutocomplete: () => kind === 'autocomplete',
    isChatInputCommand: () => kind === 'chat',
    isMessageContextMenuCommand: () => kind === 'contextMenu',
    isButton: () => kind === 'button',
    isModalSubmit: () => kind === 'modal',
    isStringSelectMenu: () => kind === 'select',
    isRepliable: () => kind !== 'autocomplete' && kind !== 'other',
    reply: async (payload: unknown) => {
      if (o.replyFails) throw new Error('Unknown interaction');
      replies.push(payload);
    },
    editReply: async (payload: unknown) => {
      edits.push(payload);
    },
  };
  return { interaction: interaction as unknown as Interaction, replies, edits };
}

function fakeContext() {
  const logger = { info: vi.fn(), error: vi.fn(), warn: vi.fn(), debug: vi.fn() };
  return { ctx: { logger } as unknown as CommandContext, logger };
}

function routes() {
  const calls: string[] = [];
  const commands: Command[] = [
    {
      data: { name: 'vidu', description: 'x' },
      execute: async () => void calls.push('vidu:execute'),
      autocomplete: async () => void calls.push('vidu:autocomplete'),
    },
    { data: { name: 'Animate with Vidu', type: ApplicationCommandType.Message }, contextMenu: async () => void calls.push('animate:contextMenu') },
  ];
  const components: ComponentRoute[] = [
    {
      prefix: 'job',
      button: async (_i, _ctx, args) => void calls.push(`job:button:${args.join(',')}`),
      select: async (_i, _ctx, args) => void calls.push(`job:select:${args.join(',')}`),
    },
    { prefix: 'animate', modal: async (_i, _ctx, args) => void calls.push(`animate:modal:${args.join(',')}`) },
  ];
  return { commands, components, calls };
}

const refusal = renderRefusal(t('en-US', 'auth.invalid'));

describe('createRouter', () => {
  it.each([
    ['chat', { commandName: 'vidu' }, 'vidu:execute'],
    ['autocomplete', { commandName: 'vidu' }, 'vidu:autocomplete'],
    ['contextMenu', { commandName: 'Animate with Vidu' }, 'animate:contextMenu'],
    ['button', { customId: 'job:reroll:123' }, 'job:button:reroll,123'],
    ['select', { customId: 'job:pick:7' }, 'job:select:pick,7'],
    ['modal', { customId: 'animate:go:9' }, 'animate:modal:go,9'],
  ] as const)('routes a %s interaction to its handler', async (kind, o, expected) => {
    const { commands, components, calls } = routes();
    const { ctx } = fakeContext();
    const { interaction, replies } = fakeInteraction(kind, o);
    await createRouter(commands, components, ctx)(interaction);
    expect(calls).toEqual([expected]);
    expect(replies).toEqual([]);
  });

  it.each([
    ['button', 'nope:reroll:1', 'an unknown prefix'],
    ['button', 'animate:go:1', 'a route without a button handler'],
    ['modal', 'job:edit:1', 'a route without a modal handler'],
    ['select', 'animate:pick:1', 'a route without a select handler'],
    ['button', '', 'an empty custom_id'],
  ] as const)('refuses a %s with custom_id %j (%s), running nothing', async (kind, customId, _why) => {
    const { commands, components, calls } = routes();
    const { ctx, logger } = fakeContext();
    const { interaction, replies } = fakeInteraction(kind, { customId });
    await createRouter(commands, components, ctx)(interaction);
    expect(calls).toEqual([]);
    expect(replies).toEqual([refusal]);
    expect(logger.info).toHaveBeenCalledWith(expect.objectContaining({ customId }), 'refused: unknown custom_id');
  });

  it('logs at most 100 characters of a forged custom_id', async () => {
    const { commands, components } = routes();
    const { ctx, logger } = fakeContext();
    const customId = `x${'y'.repeat(300)}`;
    await createRouter(commands, components, ctx)(fakeInteraction('button', { customId }).interaction);
    expect(logger.info).toHaveBeenCalledWith(expect.objectContaining({ customId: customId.slice(0, 100) }), 'refused: unknown custom_id');
  });

  it('ignores a command it does not know and interactions of other kinds', async () => {
    const { commands, components, calls } = routes();
    const { ctx } = fakeContext();
    for (const [kind, o] of [
      ['chat', { commandName: 'unknown' }],
      ['other', {}],
    ] as const) {
      const { interaction, replies } = fakeInteraction(kind, o);
      await createRouter(commands, components, ctx)(interaction);
      expect(replies).toEqual([]);
    }
    expect(calls).toEqual([]);
  });

  describe('a handler that throws', () => {
    const failing = (): Command[] => [
      {
        data: { name: 'vidu', description: 'x' },
        execute: () => Promise.reject(new Error('boom')),
        autocomplete: () => Promise.reject(new Error('boom')),
      },
    ];
    const note = { content: `⚠️ ${t('en-US', 'error.generic')}`, flags: 64 };

    it('is logged and answered with an ephemeral generic note', async () => {
      const { ctx, logger } = fakeContext();
      const { interaction, replies, edits } = fakeInteraction('chat');
      await createRouter(failing(), [], ctx)(interaction);
      expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ interaction: '1300000000000000001' }), 'interaction handler failed');
      expect(replies).toEqual([note]);
      expect(edits).toEqual([]);
    });

    it('edits the deferred reply instead; leaves an answered one alone', async () => {
      const { ctx } = fakeContext();
      const deferred = fakeInteraction('chat', { deferred: true });
      await createRouter(failing(), [], ctx)(deferred.interaction);
      expect(deferred.edits).toEqual([{ content: note.content }]);
      expect(deferred.replies).toEqual([]);
      const replied = fakeInteraction('chat', { replied: true });
      await createRouter(failing(), [], ctx)(replied.interaction);
      expect(replied.edits).toEqual([]);
      expect(replied.replies).toEqual([]);
    });

    it('does not throw when the note cannot be sent, or when the interaction takes no reply', async () => {
      const { ctx, logger } = fakeContext();
      await expect(createRouter(failing(), [], ctx)(fakeInteraction('chat', { replyFails: true }).interaction)).resolves.toBeUndefined();
      const autocomplete = fakeInteraction('autocomplete');
      await expect(createRouter(failing(), [], ctx)(autocomplete.interaction)).resolves.toBeUndefined();
      expect(autocomplete.replies).toEqual([]);
      expect(logger.error).toHaveBeenCalledTimes(2);
    });
  });
});

describe('parseCustomId', () => {
  it.each([
    ['job:reroll:123', { prefix: 'job', args: ['reroll', '123'] }],
    ['job', { prefix: 'job', args: [] }],
    ['', { prefix: '', args: [] }],
    ['a::b', { prefix: 'a', args: ['', 'b'] }],
  ])('%j → %j', (id, expected) => {
    expect(parseCustomId(id)).toEqual(expected);
  });
});
