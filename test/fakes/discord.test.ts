/**
 * Proves the fake Discord against the real discord.js Client: every assertion reads what the
 * fake recorded, and every rejection is the DiscordAPIError the real API would produce.
 */
import { randomBytes } from 'node:crypto';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ButtonStyle,
  Client,
  ComponentType,
  ContainerBuilder,
  DiscordAPIError,
  GatewayIntentBits,
  MediaGalleryBuilder,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  Routes,
  TextDisplayBuilder,
  TextInputBuilder,
  TextInputStyle,
  LabelBuilder,
  type BaseInteraction,
  type TextChannel,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimited, startFakeDiscord, visibleAttachments, type FakeDiscord } from './discord.js';
import {
  DEFAULT_IDS,
  autocomplete,
  button,
  fileUploadValue,
  messageContextMenu,
  modalSubmit,
  rawMessage,
  slashCommand,
  snowflake,
  textInputValue,
  type RawInteraction,
} from './interactions.js';

const BOT_TOKEN = 'TEST-fake-discord-token';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

let fake: FakeDiscord;
let client: Client;
/** Added to the fake's clock; tests that move time put it back. */
let clockOffsetMs = 0;

/** Resolves with the next interaction the client emits. Register before injecting. */
function nextInteraction(): Promise<BaseInteraction> {
  return new Promise((resolve) => client.once('interactionCreate', resolve));
}

async function deliver(raw: RawInteraction): Promise<BaseInteraction> {
  const seen = nextInteraction();
  await fake.injectInteraction(raw);
  return seen;
}

async function apiError(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DiscordAPIError);
  return error as DiscordAPIError;
}

function defaultChannel(): TextChannel {
  const channel = client.channels.cache.get(fake.defaultChannelId);
  if (!channel?.isTextBased()) throw new Error('default channel not cached');
  return channel as TextChannel;
}

beforeAll(async () => {
  // These tests send what Discord refuses on purpose to check the fake's own rules (30015, the
  // 25-choice cap…); the spec check would answer 50035 first. test/fakes/discord-spec.test.ts covers it.
  fake = await startFakeDiscord({ botToken: BOT_TOKEN, specValidation: false, now: () => Date.now() + clockOffsetMs });
  client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: fake.apiUrl, retries: 0, timeout: 5_000 },
  });
  const ready = new Promise((resolve) => client.once('clientReady', resolve));
  await client.login(BOT_TOKEN);
  await ready;
});

afterAll(async () => {
  await client?.destroy();
  await fake?.close();
});

describe('gateway', () => {
  it('identifies with the client intents and fills the caches from GUILD_CREATE', () => {
    expect(fake.identifies).toHaveLength(1);
    expect(fake.identifies[0]).toMatchObject({ intents: GatewayIntentBits.Guilds, shard: [0, 1], tokenValid: true });
    expect(fake.connectedShards).toEqual([0]);
    expect(client.application?.id).toBe(DEFAULT_IDS.applicationId);
    const guild = client.guilds.cache.get(DEFAULT_IDS.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.members.me?.id).toBe(DEFAULT_IDS.botUserId);
    expect(defaultChannel().permissionsFor(client.user!)?.has(PermissionFlagsBits.AttachFiles)).toBe(true);
    expect(fake.findCalls({ path: /^\/gateway\/bot$/ })[0]).toMatchObject({ auth: 'bot', status: 200 });
  });
});

describe('slash command with an attachment, defer, upload', () => {
  const video = randomBytes(256 * 1024);
  let raw: RawInteraction;
  let interaction: Awaited<ReturnType<typeof deliver>>;

  it('delivers a ChatInputCommandInteraction whose attachment downloads from the fake CDN', async () => {
    const image = fake.addAttachment({ filename: 'cat.png', bytes: PNG, contentType: 'image/png', width: 1, height: 1 });
    raw = slashCommand({
      name: 'vidu',
      options: [{ name: 'prompt', type: 3, value: 'a cat surfing' }],
      attachments: { image1: image },
    });
    interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('not a chat input command');
    expect(interaction.commandName).toBe('vidu');
    expect(interaction.options.getString('prompt')).toBe('a cat surfing');
    const attachment = interaction.options.getAttachment('image1', true);
    expect(attachment.url).toBe(image.url);
    expect(attachment.url.startsWith(fake.apiUrl.replace(/\/api$/, '/ephemeral-attachments/'))).toBe(true);
    expect(attachment.contentType).toBe('image/png');
    expect(attachment.ephemeral).toBe(true);
    expect(interaction.attachmentSizeLimit).toBe(10_485_760);
    expect(interaction.channel?.id).toBe(fake.defaultChannelId);

    const download = await fetch(attachment.url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
    // Signed URLs only: the bare URL is refused, like Discord's CDN.
    expect((await fetch(attachment.url.split('?')[0] ?? '')).status).toBe(404);
  });

  it('defers with a response, then editReply stores the identical mp4 bytes', async () => {
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    const response = await interaction.deferReply({ withResponse: true });
    const original = fake.originalMessage(raw.token);
    expect(original).toMatchObject({ loading: true, flags: MessageFlags.Loading, channelId: fake.defaultChannelId });
    expect(response.interaction.responseMessageId).toBe(original?.id);
    expect(response.interaction.responseMessageLoading).toBe(true);
    expect(response.interaction.responseMessageEphemeral).toBe(false);
    // Per the docs the resource carries a message only for types 4 and 7, not for a defer.
    expect(response.resource?.type).toBe(5);
    expect(response.resource?.message).toBeNull();

    const message = await interaction.editReply({ content: 'done', files: [{ attachment: video, name: 'out.mp4' }] });
    const stored = fake.originalMessage(raw.token);
    expect(stored).toMatchObject({ id: message.id, content: 'done', loading: false, flags: 0, editCount: 1 });
    expect(stored?.attachments).toHaveLength(1);
    expect(stored?.attachments[0]).toMatchObject({ filename: 'out.mp4', size: video.length, contentType: 'video/mp4' });
    expect(stored?.attachments[0]?.bytes.equals(video)).toBe(true);

    const patch = fake.findCalls({ method: 'PATCH', pathIncludes: `/webhooks/${DEFAULT_IDS.applicationId}/${raw.token}/messages/@original` });
    expect(patch).toHaveLength(1);
    expect(patch[0]).toMatchObject({ auth: 'none', status: 200, files: [{ field: 'files[0]', filename: 'out.mp4', size: video.length }] });
    expect(patch[0]?.body).toMatchObject({ content: 'done', attachments: [{ id: '0' }] });
    expect(fake.callbacks(raw.id).map((c) => [c.type, c.status])).toEqual([[5, 200]]);

    const cdn = await fetch(message.attachments.first()?.url ?? '');
    expect(Buffer.from(await cdn.arrayBuffer()).equals(video)).toBe(true);
  });

  it('answers a second callback with 40060', async () => {
    // discord.js refuses locally once replied; the raw route shows what Discord answers.
    const error = await apiError(
      client.rest.post(Routes.interactionCallback(raw.id, raw.token), { body: { type: 4, data: { content: 'again' } }, auth: false }),
    );
    expect(error.code).toBe(40060);
    expect(error.status).toBe(400);
    expect(fake.callbacks(raw.id).map((c) => c.errorCode)).toEqual([null, 40060]);
  });

  it('after token expiry editReply fails with 50027, and the channel route still edits the message', async () => {
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    fake.expireToken(raw.token);
    const error = await apiError(interaction.editReply({ content: 'too late' }));
    expect(error.code).toBe(50027);
    expect(error.status).toBe(401);

    const messageId = fake.originalMessage(raw.token)?.id ?? '';
    const edited = await defaultChannel().messages.edit(messageId, { content: 'finished via channel' });
    expect(edited.content).toBe('finished via channel');
    const stored = fake.messages.get(messageId);
    expect(stored).toMatchObject({ content: 'finished via channel', editCount: 2 });
    // Attachments are kept when the edit does not list `attachments`.
    expect(stored?.attachments[0]?.bytes.equals(video)).toBe(true);
    expect(fake.findCalls({ method: 'PATCH', path: new RegExp(`^/channels/${fake.defaultChannelId}/messages/${messageId}$`) })[0]).toMatchObject({
      auth: 'bot',
      status: 200,
    });
  });

  it('a moderator deletion turns later edits into 10008', async () => {
    const messageId = fake.originalMessage(raw.token)?.id ?? '';
    fake.deleteMessage(fake.defaultChannelId, messageId);
    const error = await apiError(defaultChannel().messages.edit(messageId, { content: 'x' }));
    expect(error.code).toBe(10008);
    expect(fake.messages.get(messageId)?.deletedBy).toBe('moderator');
  });
});

describe('deadlines and visibility', () => {
  it('a callback later than 3 s answers 10062', async () => {
    const raw = slashCommand({ name: 'vidu' });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    clockOffsetMs = 3_001;
    try {
      const error = await apiError(interaction.deferReply());
      expect(error.code).toBe(10062);
      expect(error.status).toBe(404);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('the token expires 15 min after injection (not after the defer)', async () => {
    const raw = slashCommand({ name: 'vidu' });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    await interaction.deferReply();
    clockOffsetMs = 15 * 60_000 - 1_000;
    try {
      await interaction.editReply('still valid');
      clockOffsetMs = 15 * 60_000 + 1;
      expect((await apiError(interaction.editReply('expired'))).code).toBe(50027);
      expect((await apiError(interaction.followUp('expired'))).code).toBe(50027);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('ephemeral replies are invisible to channel routes', async () => {
    const raw = slashCommand({ name: 'vidu' });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const reply = await interaction.editReply({ content: 'secret' });
    expect(fake.originalMessage(raw.token)).toMatchObject({ ephemeral: true, flags: MessageFlags.Ephemeral, content: 'secret' });
    const error = await apiError(defaultChannel().messages.edit(reply.id, { content: 'x' }));
    expect(error.code).toBe(10008);
  });
});

describe('uploads, permissions and DMs', () => {
  it('rejects a file above the interaction attachment_size_limit with 413 / 40005', async () => {
    const raw = slashCommand({ name: 'vidu', attachmentSizeLimit: 1024 });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    expect(interaction.attachmentSizeLimit).toBe(1024);
    await interaction.deferReply();
    const error = await apiError(interaction.editReply({ files: [{ attachment: Buffer.alloc(1025), name: 'big.mp4' }] }));
    expect(error.code).toBe(40005);
    expect(error.status).toBe(413);
    expect(fake.originalMessage(raw.token)?.attachments).toHaveLength(0);
    await interaction.editReply({ files: [{ attachment: Buffer.alloc(1024), name: 'fits.mp4' }] });
    expect(fake.originalMessage(raw.token)?.attachments[0]?.size).toBe(1024);
  });

  it('rejects a channel upload above 10 MiB with 40005', async () => {
    const error = await apiError(defaultChannel().send({ files: [{ attachment: Buffer.alloc(10_485_761), name: 'big.mp4' }] }));
    expect(error.code).toBe(40005);
  });

  it('denied SEND_MESSAGES answers 50013 and shows in the cached permissions', async () => {
    const channel = defaultChannel();
    fake.setChannelAccess(channel.id, { send: false });
    try {
      await fake.waitFor(() => channel.permissionsFor(client.user!)?.has(PermissionFlagsBits.SendMessages) === false);
      const error = await apiError(channel.send('hello'));
      expect(error.code).toBe(50013);
      expect(error.status).toBe(403);
    } finally {
      fake.setChannelAccess(channel.id, { send: true });
    }
    fake.setChannelAccess(channel.id, { view: false });
    try {
      expect((await apiError(channel.send('hello'))).code).toBe(50001);
    } finally {
      fake.setChannelAccess(channel.id, { view: true });
    }
    const sent = await channel.send('hello again');
    expect(fake.messages.get(sent.id)).toMatchObject({ source: 'channel', content: 'hello again', authorId: DEFAULT_IDS.botUserId });
  });

  it('DMs work, and fail with 50007 when the user closed DMs', async () => {
    const user = await client.users.fetch(DEFAULT_IDS.userId);
    const dm = await user.send('your video is ready');
    expect(dm.channel.isDMBased()).toBe(true);
    expect(fake.messages.get(dm.id)).toMatchObject({ channelId: dm.channelId, content: 'your video is ready' });
    expect(fake.findCalls({ method: 'POST', path: /^\/users\/@me\/channels$/ })[0]?.body).toEqual({ recipient_id: DEFAULT_IDS.userId });

    fake.setDmAllowed(DEFAULT_IDS.userId, false);
    const error = await apiError(user.send('again'));
    expect(error.code).toBe(50007);
    expect(error.status).toBe(403);
    fake.setDmAllowed(DEFAULT_IDS.userId, true);
  });
});

describe('message rules', () => {
  it('enforces content length, attachment count, Components V2 and the followup cap', async () => {
    const raw = slashCommand({ name: 'vidu' });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    await interaction.deferReply();

    expect((await apiError(interaction.editReply({ content: 'x'.repeat(2001) }))).code).toBe(50035);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ attachment: Buffer.from([i]), name: `f${i}.txt` }));
    expect((await apiError(interaction.editReply({ files: eleven }))).code).toBe(30015);

    const gallery = new ContainerBuilder()
      .addTextDisplayComponents(new TextDisplayBuilder().setContent('Your video'))
      .addMediaGalleryComponents(new MediaGalleryBuilder().addItems((item) => item.setURL('attachment://out.mp4')));
    const v2WithContent = interaction.editReply({
      content: 'not allowed',
      flags: MessageFlags.IsComponentsV2,
      components: [gallery],
      files: [{ attachment: Buffer.from('mp4'), name: 'out.mp4' }],
    });
    expect((await apiError(v2WithContent)).code).toBe(50035);

    await interaction.editReply({
      flags: MessageFlags.IsComponentsV2,
      components: [gallery],
      files: [
        { attachment: Buffer.from('mp4'), name: 'out.mp4' },
        { attachment: Buffer.from('x'), name: 'hidden.txt' },
      ],
    });
    const stored = fake.originalMessage(raw.token);
    expect(stored?.flags).toBe(MessageFlags.IsComponentsV2);
    // In V2 messages only files referenced by a component are shown.
    expect(stored ? visibleAttachments(stored).map((a) => a.filename) : []).toEqual(['out.mp4']);
    const removeV2 = interaction.editReply({ content: 'back to text', components: [], flags: [] });
    expect((await apiError(removeV2)).code).toBe(50035);

    for (let i = 0; i < 5; i += 1) await interaction.followUp({ content: `followup ${i}` });
    expect(fake.followups(raw.token)).toHaveLength(5);
    expect((await apiError(interaction.followUp('sixth'))).code).toBe(40094);
  });

  it('stores PUT commands with ids and rejects invalid names with 50035', async () => {
    const commands = await client.application!.commands.set([
      {
        name: 'vidu',
        description: 'Generate a video',
        options: [{ name: 'prompt', description: 'What to make', type: ApplicationCommandOptionType.String, required: true }],
      },
      { name: 'Animate image', type: ApplicationCommandType.Message },
    ]);
    expect(commands.size).toBe(2);
    expect(fake.commandPuts).toHaveLength(1);
    expect(fake.commands().map((c) => [c.name, c.type])).toEqual([
      ['vidu', 1],
      ['Animate image', 3],
    ]);
    expect(commands.map((c) => c.id).sort()).toEqual(
      fake
        .commands()
        .map((c) => c.id)
        .sort(),
    );
    const error = await apiError(client.application!.commands.set([{ name: 'Vidu', description: 'uppercase' }]));
    expect(error.code).toBe(50035);
    expect(fake.commandPuts.map((p) => p.status)).toEqual([200, 400]);
  });
});

describe('components, modals, context menus', () => {
  it('a button on the bot message parses, and deferUpdate + editReply edit that message', async () => {
    const channel = defaultChannel();
    const host = await channel.send({
      content: 'Generating…',
      components: [
        {
          type: ComponentType.ActionRow,
          components: [{ type: ComponentType.Button, style: ButtonStyle.Primary, custom_id: 'vidu:result:42', label: 'Get result' }],
        },
      ],
    });
    const raw = button({ customId: 'vidu:result:42', message: fake.wireMessage(host.id) });
    const interaction = await deliver(raw);
    expect(interaction.isButton()).toBe(true);
    if (!interaction.isButton()) throw new Error('unreachable');
    expect(interaction.customId).toBe('vidu:result:42');
    expect(interaction.message.id).toBe(host.id);
    await interaction.deferUpdate();
    await interaction.editReply({ content: 'Here it is', components: [] });
    expect(fake.messages.get(host.id)).toMatchObject({ content: 'Here it is', components: [], editCount: 1 });
    expect(fake.callbacks(raw.id).map((c) => c.type)).toEqual([6]);
  });

  it('a modal submit parses text inputs and uploaded files', async () => {
    const upload = fake.addAttachment({ filename: 'start frame.png', bytes: PNG, contentType: 'image/png' });
    expect(upload.filename).toBe('start_frame.png');
    const raw = modalSubmit({
      customId: 'vidu:modal',
      components: [textInputValue('prompt', 'a dog on the moon', 1), fileUploadValue('image', [upload], 10)],
    });
    const interaction = await deliver(raw);
    expect(interaction.isModalSubmit()).toBe(true);
    if (!interaction.isModalSubmit()) throw new Error('unreachable');
    expect(interaction.customId).toBe('vidu:modal');
    expect(interaction.fields.getTextInputValue('prompt')).toBe('a dog on the moon');
    expect(interaction.fields.getUploadedFiles('image', true).first()?.url).toBe(upload.url);
    await interaction.reply({ content: 'queued', flags: MessageFlags.Ephemeral });
    expect(fake.originalMessage(raw.token)).toMatchObject({ content: 'queued', ephemeral: true });
  });

  it('a message context menu exposes targetMessage with attachments, and showModal records type 9', async () => {
    const still = fake.addAttachment({ filename: 'still.png', bytes: PNG, contentType: 'image/png', ephemeral: false });
    const target = rawMessage({ content: 'animate this', attachments: [still] });
    const raw = messageContextMenu({ name: 'Animate image', targetMessage: target });
    const interaction = await deliver(raw);
    expect(interaction.isMessageContextMenuCommand()).toBe(true);
    if (!interaction.isMessageContextMenuCommand()) throw new Error('unreachable');
    expect(interaction.targetMessage.id).toBe(target.id);
    expect(interaction.targetMessage.attachments.first()?.url).toBe(still.url);

    const modal = new ModalBuilder()
      .setCustomId(`vidu:animate:${target.id}`)
      .setTitle('Animate')
      .addLabelComponents(
        new LabelBuilder().setLabel('Prompt').setTextInputComponent(new TextInputBuilder().setCustomId('prompt').setStyle(TextInputStyle.Paragraph)),
      );
    await interaction.showModal(modal);
    expect(fake.callbacks(raw.id).map((c) => [c.type, c.status])).toEqual([[9, 204]]);
    expect(fake.interaction(raw.id)?.modal).toMatchObject({ custom_id: `vidu:animate:${target.id}`, title: 'Animate' });
    // The target message is also reachable through the channel routes, as in Discord.
    const fetched = await defaultChannel().messages.fetch(target.id);
    expect(fetched.content).toBe('animate this');
  });
});

describe('autocomplete', () => {
  it('answers with type 8 and rejects more than 25 choices', async () => {
    const raw = autocomplete({ name: 'vidu', options: [{ name: 'model', type: 3, value: 'q', focused: true }] });
    const interaction = await deliver(raw);
    if (!interaction.isAutocomplete()) throw new Error('not autocomplete');
    expect(interaction.options.getFocused()).toBe('q');
    const tooMany = Array.from({ length: 26 }, (_, i) => ({ name: `m${i}`, value: `m${i}` }));
    expect((await apiError(interaction.respond(tooMany))).code).toBe(50035);
    await interaction.respond([{ name: 'Vidu Q3', value: 'viduq3' }]);
    expect(fake.interaction(raw.id)?.autocompleteChoices).toEqual([{ name: 'Vidu Q3', value: 'viduq3' }]);
    expect(fake.callbacks(raw.id).map((c) => [c.type, c.status])).toEqual([
      [8, 400],
      [8, 204],
    ]);
  });
});

describe('faults', () => {
  it('a 429 on an edit is waited out by discord.js and the retry succeeds', async () => {
    const raw = slashCommand({ name: 'vidu' });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    await interaction.deferReply();
    const fault = fake.inject({ method: 'PATCH', pathIncludes: `${raw.token}/messages/@original`, ...rateLimited(0.5) });
    const startedMs = Date.now();
    await interaction.editReply('progress 50%');
    const patches = fake.findCalls({ method: 'PATCH', pathIncludes: raw.token });
    expect(patches.map((c) => [c.status, c.injected])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(patches[0]?.responseBody).toEqual({ message: 'You are being rate limited.', retry_after: 0.5, global: false });
    // With X-RateLimit-Remaining: 0 the bucket is locally limited, so @discordjs/rest waits
    // X-RateLimit-Reset-After (0.5 s), not the rounded-up Retry-After (1 s).
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(450);
    expect(fault.remaining).toBe(0);
    expect(fake.originalMessage(raw.token)?.content).toBe('progress 50%');
  });

  it('a 500 and a socket reset surface as errors with retries: 0', async () => {
    const raw = slashCommand({ name: 'vidu' });
    const interaction = await deliver(raw);
    if (!interaction.isChatInputCommand()) throw new Error('unreachable');
    await interaction.deferReply();
    fake.inject({ method: 'PATCH', pathIncludes: raw.token, status: 500 });
    await expect(interaction.editReply('a')).rejects.toMatchObject({ status: 500 });
    fake.inject({ method: 'PATCH', pathIncludes: raw.token, reset: true });
    await expect(interaction.editReply('b')).rejects.toThrow();
    await interaction.editReply('c');
    expect(fake.findCalls({ method: 'PATCH', pathIncludes: raw.token }).map((c) => c.status)).toEqual([500, -1, 200]);
    expect(fake.originalMessage(raw.token)?.content).toBe('c');
  });
});

describe('bookkeeping', () => {
  it('the client never hit an unknown route and the fake raised no internal error', () => {
    expect(fake.unknownRoutes.map((c) => `${c.method} ${c.path}`)).toEqual([]);
    expect(fake.internalErrors).toEqual([]);
  });
});

describe('sharding and reconnects (own fake)', () => {
  it('routes interactions to the owning shard and survives a RESUME', async () => {
    // Consecutive timestamps: (id >> 22) % 2 puts one guild on each shard.
    const base = BigInt(DEFAULT_IDS.guildId);
    const ids = [base, base + (1n << 22n)].map((id) => id.toString());
    const shardOf = (id: string): number => Number((BigInt(id) >> 22n) % 2n);
    expect(new Set(ids.map(shardOf))).toEqual(new Set([0, 1]));
    const channelIds = ids.map(() => snowflake());
    const sharded = await startFakeDiscord({
      botToken: BOT_TOKEN,
      shardCount: 2,
      maxConcurrency: 2,
      guilds: ids.map((id, i) => ({ id, channels: [{ id: channelIds[i] }] })),
    });
    const shardedClient = new Client({
      intents: [GatewayIntentBits.Guilds],
      shards: 'auto',
      rest: { api: sharded.apiUrl, retries: 0, timeout: 5_000 },
    });
    try {
      const ready = new Promise((resolve) => shardedClient.once('clientReady', resolve));
      await shardedClient.login(BOT_TOKEN);
      await ready;
      expect(sharded.identifies.map((i) => i.shard).sort()).toEqual([
        [0, 2],
        [1, 2],
      ]);
      expect(sharded.connectedShards).toEqual([0, 1]);
      expect(shardedClient.guilds.cache.map((g) => [g.id, g.shardId]).sort()).toEqual(ids.map((id) => [id, shardOf(id)]).sort());

      const received: [string | null, number][] = [];
      shardedClient.on('raw', (packet: { t?: string; d?: { guild_id?: string } }, shardId: number) => {
        if (packet.t === 'INTERACTION_CREATE') received.push([packet.d?.guild_id ?? null, shardId]);
      });
      for (const [i, id] of ids.entries()) {
        await sharded.injectInteraction(slashCommand({ name: 'vidu', guildId: id, channelId: channelIds[i] }));
      }
      await sharded.waitFor(() => received.length === 2);
      expect(received.sort()).toEqual(ids.map((id) => [id, shardOf(id)]).sort());

      // Close code 4000 → discord.js resumes the session; the fake answers RESUMED.
      const resumed = new Promise((resolve) => shardedClient.once('shardResume', resolve));
      sharded.disconnectGateway({ shardId: 1, code: 4000 });
      await resumed;
      expect(sharded.gatewayReceived.some((p) => p.op === 6)).toBe(true);
      expect(sharded.identifies).toHaveLength(2);
      await sharded.waitForReady();
      const idOnShard1 = ids.find((id) => shardOf(id) === 1) ?? '';
      const seen = new Promise<BaseInteraction>((resolve) => shardedClient.once('interactionCreate', resolve));
      await sharded.injectInteraction(slashCommand({ name: 'vidu', guildId: idOnShard1, channelId: channelIds[ids.indexOf(idOnShard1)] }));
      expect((await seen).guildId).toBe(idOnShard1);
    } finally {
      await shardedClient.destroy();
      await sharded.close();
    }
  });

  it('closes with 4014 when a privileged intent is not enabled', async () => {
    const strict = await startFakeDiscord({ botToken: BOT_TOKEN });
    const strictClient = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.MessageContent],
      rest: { api: strict.apiUrl, retries: 0, timeout: 5_000 },
    });
    try {
      await expect(strictClient.login(BOT_TOKEN)).rejects.toThrow(/disallowed intent/i);
      expect(strict.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds | GatewayIntentBits.MessageContent);
      expect(strict.connectedShards).toEqual([]);
    } finally {
      await strictClient.destroy();
      await strict.close();
    }
  });
});
