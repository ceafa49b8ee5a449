import {
  ApplicationIntegrationType,
  ComponentType,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type Attachment,
  type ChatInputCommandInteraction,
  type ModalSubmitInteraction,
  type SlashCommandStringOption,
} from 'discord.js';
import { RequestError, describeRequestError } from '../src/generation/errors.js';
import { checkImage, declaredTypeIsNotAnImage } from '../src/generation/images.js';
import { MAX_IMAGE_BYTES, MAX_SUBJECT_NAME_CHARS } from '../src/generation/models.js';
import { renderRefusal } from '../src/render/render.js';
import {
  LibraryFullError,
  MAX_LIBRARY_SUBJECTS,
  MAX_LIBRARY_SUBJECT_IMAGES,
  MAX_STORED_IMAGE_BYTES,
  createSubjectLibrary,
  invalidSubjectName,
  nameKey,
  subjectFileName,
  type LibraryEntry,
  type LibraryImage,
} from '../src/subjects/library.js';
import { DownloadTooLargeError } from '../src/upstream/download.js';
import { customId, type Command, type CommandContext, type ComponentRoute } from './types.js';

/** Budget for downloading one uploaded image from Discord's CDN, ms. */
const UPLOAD_DOWNLOAD_TIMEOUT_MS = 30_000;
const UPLOAD_FIELD = 'images';
const STORAGE_DOWN = 'The bot’s storage is unavailable right now, so nothing was saved. Please try again shortly.';

const mb = (bytes: number) => `${(Math.ceil((bytes / (1024 * 1024)) * 10) / 10).toFixed(1).replace(/\.0$/, '')} MB`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const nameOption = (o: SlashCommandStringOption, description: string, autocomplete: boolean) =>
  o.setName('name').setDescription(description).setRequired(true).setMaxLength(MAX_SUBJECT_NAME_CHARS + 1).setAutocomplete(autocomplete);

const builder = new SlashCommandBuilder()
  .setName('vidu-subjects')
  .setDescription('Your saved @subjects: images /vidu (viduq3) uses when the prompt names @name')
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall)
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel)
  .addSubcommand((s) =>
    s
      .setName('add')
      .setDescription(`Save a subject: a name and 1–${MAX_LIBRARY_SUBJECT_IMAGES} images (a form opens for the upload)`)
      .addStringOption((o) => nameOption(o, 'Name to use in prompts as @name: letters, digits, _ or -', false)),
  )
  .addSubcommand((s) => s.setName('list').setDescription('Show your saved subjects'))
  .addSubcommand((s) =>
    s
      .setName('show')
      .setDescription('Show the images of one saved subject')
      .addStringOption((o) => nameOption(o, 'Which subject', true)),
  )
  .addSubcommand((s) =>
    s
      .setName('remove')
      .setDescription('Delete a saved subject')
      .addStringOption((o) => nameOption(o, 'Which subject', true)),
  );

/** The typed name, without a leading `@` (members often type the mention form). */
function readName(interaction: ChatInputCommandInteraction): string {
  return interaction.options.getString('name', true).trim().replace(/^@/, '');
}

const ephemeral = (content: string) => ({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }) as const;

/** Messages of the library. Pure. */
export const say = {
  full: (names: readonly string[]) =>
    `You already have ${MAX_LIBRARY_SUBJECTS} saved subjects, the most one member can keep (${names.map((n) => `\`${n}\``).join(', ')}). Delete one with \`/vidu-subjects remove name:\`, then save again.`,
  notSaved: (name: string, entries: readonly LibraryEntry[]) =>
    `You have no saved subject \`@${name}\`. ${entries.length > 0 ? `Yours: ${entries.map((e) => `\`${e.name}\``).join(', ')}.` : 'Save one with `/vidu-subjects add`.'}`,
  tooLargeToStore: (filename: string, size: number) =>
    `\`${filename}\` is ${mb(size)}, but saved subject images can be at most ${mb(MAX_STORED_IMAGE_BYTES)} each. Compress or resize it and try again; nothing was saved.`,
  imageCount: (count: number) => `A subject takes 1–${MAX_LIBRARY_SUBJECT_IMAGES} images, and ${count} were uploaded. Nothing was saved.`,
  saved: (name: string, images: number, replaced: boolean, count: number) =>
    `✅ ${replaced ? 'Replaced' : 'Saved'} **@${name}** (${plural(images, 'image', 'images')}) — ${count} of ${MAX_LIBRARY_SUBJECTS} subjects saved. ` +
    `Write \`@${name}\` in a \`/vidu model:viduq3\` prompt to use it without attaching anything.`,
  list: (entries: readonly LibraryEntry[]) =>
    entries.length === 0
      ? `You have no saved subjects yet. Save one with \`/vidu-subjects add name:\` (up to ${MAX_LIBRARY_SUBJECTS}).`
      : [
          `**Your saved subjects** (${entries.length} of ${MAX_LIBRARY_SUBJECTS})`,
          ...entries.map((e) => `• \`@${e.name}\` — ${plural(e.images.length, 'image', 'images')}, saved <t:${Math.floor(e.createdAt / 1000)}:R>`),
          '-# Write @name in a `/vidu model:viduq3` prompt to use one. Remove with `/vidu-subjects remove`.',
        ].join('\n'),
};

async function add(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const name = readName(interaction);
  const bad = invalidSubjectName(name);
  if (bad) {
    await interaction.reply(renderRefusal(`${bad} Nothing was saved.`));
    return;
  }
  // One small read before the modal, which must be the first answer (Discord's 3 s): a full
  // library is refused before the member uploads anything. The submit checks again.
  let entries: LibraryEntry[];
  try {
    entries = await createSubjectLibrary(ctx.store.meta).list(interaction.user.id);
  } catch (err) {
    ctx.logger.warn({ err }, 'subject library unreadable');
    await interaction.reply(renderRefusal(STORAGE_DOWN));
    return;
  }
  const exists = entries.some((e) => nameKey(e.name) === nameKey(name));
  if (!exists && entries.length >= MAX_LIBRARY_SUBJECTS) {
    await interaction.reply(renderRefusal(say.full(entries.map((e) => e.name))));
    return;
  }
  const title = `Save subject @${name}`;
  await interaction.showModal({
    custom_id: customId('subjects', 'add', name),
    title: [...title].length <= 45 ? title : `Save @${name}`,
    components: [
      {
        type: ComponentType.Label,
        label: `Images of @${name}`, // ≤ 42 characters: names are ≤ 32
        description: `1–${MAX_LIBRARY_SUBJECT_IMAGES} JPEG, PNG, WebP or GIF images, at most ${mb(MAX_STORED_IMAGE_BYTES)} each${exists ? ' (replaces the saved ones)' : ''}`,
        component: {
          type: ComponentType.FileUpload,
          custom_id: UPLOAD_FIELD,
          min_values: 1,
          max_values: MAX_LIBRARY_SUBJECT_IMAGES,
          required: true,
        },
      },
    ],
  } as never);
}

/** Downloads and checks one uploaded image; a string is the refusal to show. */
async function fetchImage(file: Attachment, ctx: CommandContext): Promise<LibraryImage | string> {
  let bytes: Buffer;
  try {
    bytes = await ctx.download.bytes(file.url, { maxBytes: MAX_IMAGE_BYTES, timeoutMs: UPLOAD_DOWNLOAD_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof DownloadTooLargeError) return say.tooLargeToStore(file.name, err.sizeBytes ?? MAX_IMAGE_BYTES + 1);
    ctx.logger.warn({ err }, 'subject image download failed');
    return `\`${file.name}\` could not be downloaded from Discord. Upload it again; nothing was saved.`;
  }
  try {
    const { mimeType } = checkImage(bytes, file.name);
    if (bytes.length > MAX_STORED_IMAGE_BYTES) return say.tooLargeToStore(file.name, bytes.length);
    return { bytes, mimeType };
  } catch (err) {
    if (err instanceof RequestError) return `${describeRequestError(err)} Nothing was saved.`;
    throw err;
  }
}

async function submitAdd(interaction: ModalSubmitInteraction, ctx: CommandContext, name: string): Promise<void> {
  if (invalidSubjectName(name)) return;
  const files = [...(interaction.fields.getUploadedFiles(UPLOAD_FIELD)?.values() ?? [])];
  // Discord enforces the modal's min/max, but the answer must not depend on it.
  if (files.length < 1 || files.length > MAX_LIBRARY_SUBJECT_IMAGES) {
    await interaction.reply(renderRefusal(say.imageCount(files.length)));
    return;
  }
  // What the declared metadata already rules out is answered at once, before any download.
  for (const file of files) {
    if (file.size > MAX_STORED_IMAGE_BYTES) {
      await interaction.reply(renderRefusal(say.tooLargeToStore(file.name, file.size)));
      return;
    }
    if (declaredTypeIsNotAnImage(file.contentType)) {
      await interaction.reply(renderRefusal(`${describeRequestError(new RequestError('not_an_image', { filename: file.name }))} Nothing was saved.`));
      return;
    }
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const images: LibraryImage[] = [];
  for (const file of files) {
    const image = await fetchImage(file, ctx);
    if (typeof image === 'string') {
      await interaction.editReply({ content: `⚠️ ${image}`, allowedMentions: { parse: [] } });
      return;
    }
    images.push(image);
  }
  let content: string;
  try {
    const { replaced, count } = await createSubjectLibrary(ctx.store.meta).save(interaction.user.id, name, images, ctx.now());
    ctx.logger.info({ user: interaction.user.id, images: images.length, replaced }, 'subject saved');
    content = say.saved(name, images.length, replaced, count);
  } catch (err) {
    if (err instanceof LibraryFullError) content = `⚠️ ${say.full(err.names)}`;
    else {
      ctx.logger.error({ err }, 'subject not saved');
      content = `⚠️ ${STORAGE_DOWN}`;
    }
  }
  await interaction.editReply({ content, allowedMentions: { parse: [] } });
}

async function list(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const entries = await createSubjectLibrary(ctx.store.meta).list(interaction.user.id);
  await interaction.reply(ephemeral(say.list(entries)));
}

async function show(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const library = createSubjectLibrary(ctx.store.meta);
  const name = readName(interaction);
  const entries = await library.list(interaction.user.id);
  const entry = entries.find((e) => nameKey(e.name) === nameKey(name));
  if (!entry) {
    await interaction.reply(renderRefusal(say.notSaved(name, entries)));
    return;
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const images = (await library.images(interaction.user.id, entry.name)) ?? [];
  await interaction.editReply({
    content: `**@${entry.name}** — ${plural(images.length, 'image', 'images')}, saved <t:${Math.floor(entry.createdAt / 1000)}:R>`,
    files: images.map((img, i) => ({ attachment: img.bytes, name: subjectFileName(entry.name, i, img.mimeType) })),
    allowedMentions: { parse: [] },
  });
}

async function remove(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const name = readName(interaction);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const library = createSubjectLibrary(ctx.store.meta);
  const result = await library.remove(interaction.user.id, name);
  const content = result
    ? `🗑️ Removed **@${result.removed.name}** — ${result.count} of ${MAX_LIBRARY_SUBJECTS} subjects saved.`
    : `⚠️ ${say.notSaved(name, await library.list(interaction.user.id))}`;
  await interaction.editReply({ content, allowedMentions: { parse: [] } });
}

export const viduSubjects: Command = {
  data: builder.toJSON(),
  async execute(interaction, ctx) {
    switch (interaction.options.getSubcommand()) {
      case 'add':
        return add(interaction, ctx);
      case 'list':
        return list(interaction, ctx);
      case 'show':
        return show(interaction, ctx);
      case 'remove':
        return remove(interaction, ctx);
    }
  },
  async autocomplete(interaction, ctx) {
    const typed = nameKey(interaction.options.getFocused().trim().replace(/^@/, ''));
    let entries: LibraryEntry[] = [];
    try {
      entries = await createSubjectLibrary(ctx.store.meta).list(interaction.user.id);
    } catch (err) {
      ctx.logger.warn({ err }, 'subject library unreadable for autocomplete');
    }
    const starts = entries.filter((e) => nameKey(e.name).startsWith(typed));
    const contains = entries.filter((e) => !starts.includes(e) && nameKey(e.name).includes(typed));
    await interaction.respond(
      [...starts, ...contains].slice(0, 25).map((e) => ({ name: `@${e.name} — ${plural(e.images.length, 'image', 'images')}`, value: e.name })),
    );
  },
};

/** The Save subject modal's submit: `subjects:add:<name>`. */
export const subjectsModal: ComponentRoute = {
  prefix: 'subjects',
  async modal(interaction, ctx, [action, name]) {
    if (action === 'add' && name) await submitAdd(interaction, ctx, name);
  },
};
