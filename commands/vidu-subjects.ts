import {
  ComponentType,
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
import { joinList, t, tn } from '../src/i18n/index.js';
import { codeText, escapeMarkdown } from '../src/render/escape.js';
import { renderRefusal } from '../src/render/render.js';
import { STILL_MAX_PIXELS, STILL_MAX_SIDE_PX, StillImageError, shrinkStill } from '../src/media/still.js';
import {
  LibraryBytesError,
  LibraryFullError,
  MAX_LIBRARY_BYTES_PER_MEMBER,
  MAX_LIBRARY_SUBJECTS,
  MAX_LIBRARY_SUBJECT_IMAGES,
  SUBJECT_TTL_MS,
  createSubjectLibrary,
  invalidSubjectName,
  nameKey,
  subjectFileName,
  type LibraryEntry,
  type LibraryImage,
} from '../src/subjects/library.js';
import { DownloadTooLargeError } from '../src/upstream/download.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, customId, type Command, type CommandContext, type ComponentRoute } from './types.js';

/** Budget for downloading one uploaded image from Discord's CDN, ms. */
const UPLOAD_DOWNLOAD_TIMEOUT_MS = 30_000;
const UPLOAD_FIELD = 'images';
/** Discord's limit on a modal title and on a Label's label, in characters. */
const MODAL_TITLE_CHARS = 45;

const mb = (bytes: number) => `${(Math.ceil((bytes / (1024 * 1024)) * 10) / 10).toFixed(1).replace(/\.0$/, '')} MB`;
/** KB below 1 MB (shrunk images are a few hundred KB), else MB. */
const size = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : mb(bytes));
const DAY_MS = 24 * 60 * 60 * 1000;
/** Uploads are shrunk before they are stored, so they may be as large as a /vidu attachment. */
const MAX_UPLOAD_BYTES = MAX_IMAGE_BYTES;
const cut = (text: string, max: number) => [...text].slice(0, max).join('');
const codeList = (locale: string, names: readonly string[]) =>
  joinList(
    locale,
    names.map((n) => `\`${codeText(n)}\``),
  );

const nameOption = (o: SlashCommandStringOption, description: string, autocomplete: boolean) =>
  o
    .setName('name')
    .setDescription(description)
    .setRequired(true)
    .setMaxLength(MAX_SUBJECT_NAME_CHARS + 1)
    .setAutocomplete(autocomplete);

const builder = new SlashCommandBuilder()
  .setName('vidu-subjects')
  .setDescription('Your saved @subjects: images /vidu (viduq3) uses when the prompt names @name')
  .setIntegrationTypes(MEMBER_INTEGRATIONS)
  .setContexts(MEMBER_CONTEXTS)
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

const relative = (ms: number) => `<t:${Math.floor(ms / 1000)}:R>`;

/** Messages of the library, in `locale` (a Discord locale). Pure. */
export const say = {
  storageDown: (locale: string) => t(locale, 'subjects.storageDown'),
  notSavedBecause: (locale: string, reason: string) => t(locale, 'subjects.notSavedBecause', { reason }),
  full: (locale: string, names: readonly string[]) => t(locale, 'subjects.full', { max: MAX_LIBRARY_SUBJECTS, names: codeList(locale, names) }),
  notSaved: (locale: string, name: string, entries: readonly LibraryEntry[]) =>
    t(locale, 'subjects.notSaved', {
      // What the member typed, shown inside a code span.
      name: codeText(name),
      more:
        entries.length > 0
          ? t(locale, 'subjects.yours', {
              names: codeList(
                locale,
                entries.map((e) => e.name),
              ),
            })
          : t(locale, 'subjects.saveOne'),
    }),
  tooLargeToStore: (locale: string, filename: string, size: number) =>
    t(locale, 'subjects.tooLargeToStore', { filename: codeText(filename), size: mb(size), max: mb(MAX_UPLOAD_BYTES) }),
  bytes: (locale: string, err: LibraryBytesError) =>
    t(locale, err.scope === 'member' ? 'subjects.memberBytes' : 'subjects.serverBytes', {
      needed: size(err.needed),
      used: size(err.used),
      limit: size(err.limit),
      left: size(Math.max(0, err.limit - err.used)),
      days: SUBJECT_TTL_MS / DAY_MS,
    }),
  rateLimited: (locale: string, max: number, retryAtMs: number) =>
    t(locale, 'subjects.rateLimited', { max, when: relative(Math.ceil(retryAtMs / 1000) * 1000) }),
  still: (locale: string, filename: string, err: StillImageError) =>
    err.code === 'too_large_canvas'
      ? t(locale, 'subjects.canvasTooLarge', {
          filename: codeText(filename),
          width: err.params.width ?? 0,
          height: err.params.height ?? 0,
          max: STILL_MAX_PIXELS / 1_000_000,
        })
      : t(locale, 'subjects.unreadableImage', { filename: codeText(filename) }),
  downloadFailed: (locale: string, filename: string) => t(locale, 'subjects.downloadFailed', { filename: codeText(filename) }),
  imageCount: (locale: string, count: number) => t(locale, 'subjects.imageCount', { max: MAX_LIBRARY_SUBJECT_IMAGES, count }),
  saved: (locale: string, name: string, images: number, replaced: boolean, count: number) =>
    t(locale, replaced ? 'subjects.replaced' : 'subjects.saved', {
      name: escapeMarkdown(name),
      images: tn(locale, 'count.images', images),
      count,
      max: MAX_LIBRARY_SUBJECTS,
    }),
  removed: (locale: string, name: string, count: number) => t(locale, 'subjects.removed', { name: escapeMarkdown(name), count, max: MAX_LIBRARY_SUBJECTS }),
  list: (locale: string, entries: readonly LibraryEntry[], usedBytes = 0) =>
    entries.length === 0
      ? t(locale, 'subjects.listEmpty', { max: MAX_LIBRARY_SUBJECTS })
      : [
          t(locale, 'subjects.listHeader', { count: entries.length, max: MAX_LIBRARY_SUBJECTS }),
          ...entries.map((e) =>
            t(locale, 'subjects.listLine', { name: codeText(e.name), images: tn(locale, 'count.images', e.images.length), when: relative(e.createdAt) }),
          ),
          `-# ${t(locale, 'subjects.listFooter')}`,
          `-# ${t(locale, 'subjects.listUsage', { used: size(usedBytes), limit: size(MAX_LIBRARY_BYTES_PER_MEMBER), side: STILL_MAX_SIDE_PX, days: SUBJECT_TTL_MS / DAY_MS })}`,
        ].join('\n'),
  shown: (locale: string, name: string, images: number, createdAt: number) =>
    t(locale, 'subjects.showHeader', { name: escapeMarkdown(name), images: tn(locale, 'count.images', images), when: relative(createdAt) }),
};

async function add(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const locale = interaction.locale;
  const name = readName(interaction);
  const bad = invalidSubjectName(name, locale);
  if (bad) {
    await interaction.reply(renderRefusal(say.notSavedBecause(locale, bad)));
    return;
  }
  // One small read before the modal, which must be the first answer (Discord's 3 s): a full
  // library is refused before the member uploads anything. The submit checks again.
  let entries: LibraryEntry[];
  try {
    entries = await createSubjectLibrary(ctx.store, { now: ctx.now }).list(interaction.user.id);
  } catch (err) {
    ctx.logger.warn({ err }, 'subject library unreadable');
    await interaction.reply(renderRefusal(say.storageDown(locale)));
    return;
  }
  const exists = entries.some((e) => nameKey(e.name) === nameKey(name));
  if (!exists && entries.length >= MAX_LIBRARY_SUBJECTS) {
    await interaction.reply(
      renderRefusal(
        say.full(
          locale,
          entries.map((e) => e.name),
        ),
      ),
    );
    return;
  }
  const title = t(locale, 'subjects.form.title', { name });
  await interaction.showModal({
    custom_id: customId('subjects', 'add', name),
    title: cut([...title].length <= MODAL_TITLE_CHARS ? title : t(locale, 'subjects.form.titleShort', { name }), MODAL_TITLE_CHARS),
    components: [
      {
        type: ComponentType.Label,
        label: cut(t(locale, 'subjects.form.images', { name }), MODAL_TITLE_CHARS), // names are ≤ 32 characters
        description: t(locale, exists ? 'subjects.form.hintReplace' : 'subjects.form.hint', {
          max: MAX_LIBRARY_SUBJECT_IMAGES,
          size: mb(MAX_UPLOAD_BYTES),
        }),
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

/**
 * Downloads, checks and shrinks one uploaded image (src/media/still.ts: long side ≤ 1280 px,
 * JPEG ≈ q80); a string is the refusal to show.
 */
async function fetchImage(file: Attachment, ctx: CommandContext, locale: string): Promise<LibraryImage | string> {
  let bytes: Buffer;
  try {
    bytes = await ctx.download.bytes(file.url, { maxBytes: MAX_UPLOAD_BYTES, timeoutMs: UPLOAD_DOWNLOAD_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof DownloadTooLargeError) return say.tooLargeToStore(locale, file.name, err.sizeBytes ?? MAX_UPLOAD_BYTES + 1);
    ctx.logger.warn({ err }, 'subject image download failed');
    return say.downloadFailed(locale, file.name);
  }
  let mimeType;
  try {
    ({ mimeType } = checkImage(bytes, file.name));
  } catch (err) {
    if (err instanceof RequestError) return say.notSavedBecause(locale, describeRequestError(err, locale));
    throw err;
  }
  try {
    return await shrinkStill(bytes, mimeType);
  } catch (err) {
    if (!(err instanceof StillImageError)) throw err;
    if (err.code === 'encode_failed') ctx.logger.warn({ err, cause: err.cause }, 'subject image could not be shrunk');
    return say.still(locale, file.name, err);
  }
}

async function submitAdd(interaction: ModalSubmitInteraction, ctx: CommandContext, name: string): Promise<void> {
  if (invalidSubjectName(name)) return;
  const locale = interaction.locale;
  const files = [...(interaction.fields.getUploadedFiles(UPLOAD_FIELD)?.values() ?? [])];
  // Discord enforces the modal's min/max, but the answer must not depend on it.
  if (files.length < 1 || files.length > MAX_LIBRARY_SUBJECT_IMAGES) {
    await interaction.reply(renderRefusal(say.imageCount(locale, files.length)));
    return;
  }
  // What the declared metadata already rules out is answered at once, before any download.
  for (const file of files) {
    if (file.size > MAX_UPLOAD_BYTES) {
      await interaction.reply(renderRefusal(say.tooLargeToStore(locale, file.name, file.size)));
      return;
    }
    if (declaredTypeIsNotAnImage(file.contentType)) {
      const reason = describeRequestError(new RequestError('not_an_image', { filename: file.name }), locale);
      await interaction.reply(renderRefusal(say.notSavedBecause(locale, reason)));
      return;
    }
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  // Saves are paced in the store (every shard, across restarts) before any download or encode.
  const userId = interaction.user.id;
  let verdict;
  try {
    verdict = await ctx.gate.admitSubjectSave(userId, interaction.id);
  } catch (err) {
    ctx.logger.warn({ err }, 'subject save gate unavailable');
    await interaction.editReply({ content: `⚠️ ${say.storageDown(locale)}`, allowedMentions: { parse: [] } });
    return;
  }
  if (!verdict.ok) {
    const retryAtMs = verdict.reason === 'per_minute' ? verdict.retryAtMs : ctx.now();
    await interaction.editReply({ content: `⚠️ ${say.rateLimited(locale, verdict.max, retryAtMs)}`, allowedMentions: { parse: [] } });
    return;
  }
  const images: LibraryImage[] = [];
  for (const file of files) {
    const image = await fetchImage(file, ctx, locale);
    if (typeof image === 'string') {
      await interaction.editReply({ content: `⚠️ ${image}`, allowedMentions: { parse: [] } });
      return;
    }
    images.push(image);
  }
  let content: string;
  try {
    const { replaced, count } = await createSubjectLibrary(ctx.store, { now: ctx.now }).save(userId, name, images, ctx.now(), { guildId: interaction.guildId });
    ctx.logger.info({ user: interaction.user.id, images: images.length, replaced }, 'subject saved');
    content = say.saved(locale, name, images.length, replaced, count);
  } catch (err) {
    if (err instanceof LibraryFullError) content = `⚠️ ${say.full(locale, err.names)}`;
    else if (err instanceof LibraryBytesError) content = `⚠️ ${say.bytes(locale, err)}`;
    else {
      ctx.logger.error({ err }, 'subject not saved');
      content = `⚠️ ${say.storageDown(locale)}`;
    }
  }
  await interaction.editReply({ content, allowedMentions: { parse: [] } });
}

async function list(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const entries = await createSubjectLibrary(ctx.store, { now: ctx.now }).list(interaction.user.id);
  const used = entries.reduce((sum, e) => sum + e.images.reduce((a, i) => a + i.bytes, 0), 0);
  await interaction.reply(ephemeral(say.list(interaction.locale, entries, used)));
}

async function show(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const locale = interaction.locale;
  const library = createSubjectLibrary(ctx.store, { now: ctx.now });
  const name = readName(interaction);
  const entries = await library.list(interaction.user.id);
  const entry = entries.find((e) => nameKey(e.name) === nameKey(name));
  if (!entry) {
    await interaction.reply(renderRefusal(say.notSaved(locale, name, entries)));
    return;
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const images = (await library.images(interaction.user.id, entry.name)) ?? [];
  await interaction.editReply({
    content: say.shown(locale, entry.name, images.length, entry.createdAt),
    files: images.map((img, i) => ({ attachment: img.bytes, name: subjectFileName(entry.name, i, img.mimeType) })),
    allowedMentions: { parse: [] },
  });
}

async function remove(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const locale = interaction.locale;
  const name = readName(interaction);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const library = createSubjectLibrary(ctx.store, { now: ctx.now });
  const result = await library.remove(interaction.user.id, name);
  const content = result ? say.removed(locale, result.removed.name, result.count) : `⚠️ ${say.notSaved(locale, name, await library.list(interaction.user.id))}`;
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
      entries = await createSubjectLibrary(ctx.store, { now: ctx.now }).list(interaction.user.id);
    } catch (err) {
      ctx.logger.warn({ err }, 'subject library unreadable for autocomplete');
    }
    const starts = entries.filter((e) => nameKey(e.name).startsWith(typed));
    const contains = entries.filter((e) => !starts.includes(e) && nameKey(e.name).includes(typed));
    await interaction.respond(
      [...starts, ...contains].slice(0, 25).map((e) => ({ name: `@${e.name} — ${tn(interaction.locale, 'count.images', e.images.length)}`, value: e.name })),
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
