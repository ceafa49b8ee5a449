/**
 * Message and modal payload validation (platform.md §6, §9): pure functions that throw the
 * Discord error the real API returns for a payload it refuses.
 */
import { ButtonStyle, ComponentType, MessageFlags } from 'discord-api-types/v10';
import { errors, type FormErrorEntry } from './errors.js';
import type { FakeMessage, FakeStoredAttachment } from './types.js';
import { asArray, asRecord, chars } from './util.js';

/** Flags a bot may set when creating a message (callback type 4, followup, channel POST). */
export const CREATE_FLAGS =
  MessageFlags.SuppressEmbeds | MessageFlags.Ephemeral | MessageFlags.SuppressNotifications | MessageFlags.IsVoiceMessage | MessageFlags.IsComponentsV2;
/** Flags a bot may send on edit (EPHEMERAL is accepted and ignored: it cannot change). */
export const EDIT_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2 | MessageFlags.Ephemeral | MessageFlags.SuppressNotifications;

const MAX_CONTENT_CHARS = 2000;
const MAX_EMBEDS = 10;
const MAX_EMBED_TOTAL_CHARS = 6000;
export const MAX_ATTACHMENTS = 10;
const MAX_V2_COMPONENTS = 40;
const MAX_V2_TEXT_CHARS = 4000;

/** Component types allowed at the top level of a Components V2 message. */
const V2_TOP_LEVEL = new Set<number>([
  ComponentType.ActionRow,
  ComponentType.Section,
  ComponentType.TextDisplay,
  ComponentType.MediaGallery,
  ComponentType.File,
  ComponentType.Separator,
  ComponentType.Container,
]);
/** Select menus (they all need a `custom_id`). */
const SELECTS = new Set<number>([
  ComponentType.StringSelect,
  ComponentType.UserSelect,
  ComponentType.RoleSelect,
  ComponentType.MentionableSelect,
  ComponentType.ChannelSelect,
]);

function validateEmbeds(embeds: unknown[], errs: FormErrorEntry[]): void {
  if (embeds.length > MAX_EMBEDS) errs.push([['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.']);
  let total = 0;
  embeds.forEach((raw, i) => {
    const e = asRecord(raw);
    const author = asRecord(e.author);
    const footer = asRecord(e.footer);
    const fields = asArray(e.fields);
    const check = (path: (string | number)[], value: unknown, max: number): void => {
      if (chars(value) > max) errs.push([path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`]);
    };
    check(['embeds', i, 'title'], e.title, 256);
    check(['embeds', i, 'description'], e.description, 4096);
    check(['embeds', i, 'author', 'name'], author.name, 256);
    check(['embeds', i, 'footer', 'text'], footer.text, 2048);
    if (fields.length > 25) errs.push([['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
    total += chars(e.title) + chars(e.description) + chars(author.name) + chars(footer.text);
    fields.forEach((rawField, j) => {
      const f = asRecord(rawField);
      check(['embeds', i, 'fields', j, 'name'], f.name, 256);
      check(['embeds', i, 'fields', j, 'value'], f.value, 1024);
      total += chars(f.name) + chars(f.value);
    });
  });
  if (total > MAX_EMBED_TOTAL_CHARS) {
    errs.push([['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000']);
  }
}

function validateButtonOrSelect(c: Record<string, unknown>, path: (string | number)[], errs: FormErrorEntry[]): void {
  const type = c.type;
  const customId = c.custom_id;
  const needsCustomId = type === ComponentType.Button ? c.style !== ButtonStyle.Link && c.style !== ButtonStyle.Premium : SELECTS.has(Number(type));
  if (needsCustomId && (typeof customId !== 'string' || chars(customId) < 1 || chars(customId) > 100)) {
    errs.push([[...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
  }
  if (type === ComponentType.Button) {
    if (chars(c.label) > 80) errs.push([[...path, 'label'], 'BASE_TYPE_MAX_LENGTH', 'Must be 80 or fewer in length.']);
    if (c.style === ButtonStyle.Link && (typeof c.url !== 'string' || chars(c.url) > 512)) {
      errs.push([[...path, 'url'], 'BASE_TYPE_MAX_LENGTH', 'Must be 512 or fewer in length.']);
    }
  } else {
    if (asArray(c.options).length > 25) {
      errs.push([[...path, 'options'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
    }
    if (chars(c.placeholder) > 150) {
      errs.push([[...path, 'placeholder'], 'BASE_TYPE_MAX_LENGTH', 'Must be 150 or fewer in length.']);
    }
  }
}

function validateActionRow(row: Record<string, unknown>, path: (string | number)[], errs: FormErrorEntry[]): void {
  const children = asArray(row.components).map(asRecord);
  const buttons = children.filter((c) => c.type === ComponentType.Button).length;
  const selects = children.length - buttons;
  if (children.length === 0 || buttons > 5 || (selects > 0 && children.length > 1)) {
    errs.push([[...path, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width']);
  }
  children.forEach((c, i) => validateButtonOrSelect(c, [...path, 'components', i], errs));
}

/** Walks V2 components: counts them, sums Text Display characters, collects `attachment://` names. */
function walkV2(
  component: Record<string, unknown>,
  path: (string | number)[],
  state: { count: number; textChars: number; attachmentRefs: Set<string> },
  errs: FormErrorEntry[],
): void {
  state.count += 1;
  const type = component.type;
  if (type === ComponentType.TextDisplay) state.textChars += chars(component.content);
  if (type === ComponentType.ActionRow) validateActionRow(component, path, errs);
  const ref = (media: unknown, kind: 'any' | 'attachment'): void => {
    const url = asRecord(media).url;
    if (typeof url !== 'string') return;
    if (url.startsWith('attachment://')) state.attachmentRefs.add(url.slice('attachment://'.length));
    else if (kind === 'attachment') {
      errs.push([[...path, 'file', 'url'], 'UNFURLED_MEDIA_ITEM_INVALID', 'File components only accept attachment:// URLs']);
    }
  };
  if (type === ComponentType.Thumbnail) ref(component.media, 'any');
  if (type === ComponentType.File) ref(component.file, 'attachment');
  if (type === ComponentType.MediaGallery) {
    const items = asArray(component.items);
    if (items.length < 1 || items.length > 10) {
      errs.push([[...path, 'items'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 10 in length.']);
    }
    for (const item of items) ref(asRecord(item).media, 'any');
  }
  if (type !== ComponentType.ActionRow) {
    asArray(component.components).forEach((child, i) => walkV2(asRecord(child), [...path, 'components', i], state, errs));
  }
  if (component.accessory) walkV2(asRecord(component.accessory), [...path, 'accessory'], state, errs);
}

/** `attachment://name` references of a V2 message's components. */
function v2AttachmentRefs(components: unknown[]): Set<string> {
  const state = { count: 0, textChars: 0, attachmentRefs: new Set<string>() };
  components.forEach((c, i) => walkV2(asRecord(c), ['components', i], state, []));
  return state.attachmentRefs;
}

/**
 * Validates the final state of a message (after applying a create or edit payload).
 * Throws the Discord error the real API returns.
 */
export function validateMessageState(state: {
  content: string;
  flags: number;
  embeds: unknown[];
  components: unknown[];
  attachments: { filename: string }[];
  poll?: unknown;
  stickers?: unknown;
  requireNonEmpty: boolean;
}): void {
  if (state.attachments.length > MAX_ATTACHMENTS) errors.tooManyAttachments();
  const errs: FormErrorEntry[] = [];
  if (chars(state.content) > MAX_CONTENT_CHARS) {
    errs.push([['content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CONTENT_CHARS} or fewer in length.`]);
  }
  validateEmbeds(state.embeds, errs);
  const isV2 = (state.flags & MessageFlags.IsComponentsV2) !== 0;
  if (isV2) {
    // Components V2: content, embeds, poll and stickers are rejected (platform.md §6).
    if (state.content !== '') {
      errs.push([
        ['content'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ]);
    }
    if (state.embeds.length > 0) {
      errs.push([
        ['embeds'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ]);
    }
    if (state.poll) {
      errs.push([['poll'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', "The 'poll' field cannot be used when using MessageFlags.IS_COMPONENTS_V2"]);
    }
    if (asArray(state.stickers).length > 0) {
      errs.push([
        ['sticker_ids'],
        'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2',
        "The 'sticker_ids' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
      ]);
    }
    const walk = { count: 0, textChars: 0, attachmentRefs: new Set<string>() };
    state.components.forEach((raw, i) => {
      const c = asRecord(raw);
      if (!V2_TOP_LEVEL.has(Number(c.type))) {
        errs.push([['components', i, 'type'], 'UNION_TYPE_CHOICES', `Value of field "type" must be one of (${[...V2_TOP_LEVEL].join(', ')}).`]);
      }
      walkV2(c, ['components', i], walk, errs);
    });
    if (walk.count > MAX_V2_COMPONENTS) {
      errs.push([['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_V2_COMPONENTS} or fewer in length (nested components included).`]);
    }
    if (walk.textChars > MAX_V2_TEXT_CHARS) {
      errs.push([['components'], 'MAX_TEXT_DISPLAY_LENGTH_EXCEEDED', `Text display content must be ${MAX_V2_TEXT_CHARS} or fewer characters in total.`]);
    }
    const names = new Set(state.attachments.map((a) => a.filename));
    for (const name of walk.attachmentRefs) {
      if (!names.has(name)) {
        errs.push([['components'], 'UNFURLED_MEDIA_ITEM_ATTACHMENT_NOT_FOUND', `attachment://${name} does not match any attachment`]);
      }
    }
  } else {
    if (state.components.length > 5) {
      errs.push([['components'], 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.']);
    }
    state.components.forEach((raw, i) => {
      const c = asRecord(raw);
      if (c.type !== ComponentType.ActionRow) {
        // V2 component types without the flag are rejected.
        errs.push([
          ['components', i, 'type'],
          'UNION_TYPE_CHOICES',
          'Value of field "type" must be one of (1). Set MessageFlags.IS_COMPONENTS_V2 to use other top-level components.',
        ]);
        return;
      }
      validateActionRow(c, ['components', i], errs);
    });
  }
  if (errs.length > 0) errors.invalidForm(errs);
  if (
    state.requireNonEmpty &&
    state.content === '' &&
    state.embeds.length === 0 &&
    state.components.length === 0 &&
    state.attachments.length === 0 &&
    !state.poll &&
    asArray(state.stickers).length === 0
  ) {
    errors.emptyMessage();
  }
}

/**
 * Which stored attachments a user actually sees. In a Components V2 message, uploaded files are
 * hidden unless a component references them with `attachment://<filename>` (platform.md §6).
 */
export function visibleAttachments(message: FakeMessage): FakeStoredAttachment[] {
  if ((message.flags & MessageFlags.IsComponentsV2) === 0) return message.attachments;
  const refs = v2AttachmentRefs(message.components);
  return message.attachments.filter((a) => refs.has(a.filename));
}

export function validateModal(data: Record<string, unknown>): void {
  const errs: FormErrorEntry[] = [];
  if (chars(data.custom_id) < 1 || chars(data.custom_id) > 100) {
    errs.push([['data', 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
  }
  if (chars(data.title) < 1 || chars(data.title) > 45) {
    errs.push([['data', 'title'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.']);
  }
  const components = asArray(data.components);
  if (components.length < 1 || components.length > 5) {
    errs.push([['data', 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.']);
  }
  const labelChildren = new Set<number>([
    ...SELECTS,
    ComponentType.TextInput,
    ComponentType.FileUpload,
    ComponentType.RadioGroup,
    ComponentType.CheckboxGroup,
    ComponentType.Checkbox,
  ]);
  components.forEach((raw, i) => {
    const c = asRecord(raw);
    const path = ['data', 'components', i];
    if (c.type === ComponentType.Label) {
      if (chars(c.label) < 1 || chars(c.label) > 45) errs.push([[...path, 'label'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.']);
      if (chars(c.description) > 100) errs.push([[...path, 'description'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
      const child = asRecord(c.component);
      if (!labelChildren.has(Number(child.type))) {
        errs.push([[...path, 'component', 'type'], 'UNION_TYPE_CHOICES', 'Invalid component type inside a Label']);
      }
      if (child.type === ComponentType.TextInput) validateTextInput(child, [...path, 'component'], errs);
    } else if (c.type === ComponentType.ActionRow) {
      // Deprecated layout: an action row holding one text input.
      const children = asArray(c.components).map(asRecord);
      if (children.length !== 1 || children[0]?.type !== ComponentType.TextInput) {
        errs.push([[...path, 'components'], 'UNION_TYPE_CHOICES', 'Modal action rows may only hold one text input']);
      } else {
        validateTextInput(children[0], [...path, 'components', 0], errs);
      }
    } else if (c.type !== ComponentType.TextDisplay) {
      errs.push([[...path, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (18, 10).']);
    }
  });
  if (errs.length > 0) errors.invalidForm(errs);
}

function validateTextInput(c: Record<string, unknown>, path: (string | number)[], errs: FormErrorEntry[]): void {
  if (chars(c.custom_id) < 1 || chars(c.custom_id) > 100) {
    errs.push([[...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
  }
  if (chars(c.value) > 4000) errs.push([[...path, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 4000 or fewer in length.']);
  if (chars(c.placeholder) > 100) errs.push([[...path, 'placeholder'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
  for (const key of ['min_length', 'max_length'] as const) {
    const v = c[key];
    if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 4000)) {
      errs.push([[...path, key], 'NUMBER_TYPE_MAX', 'int value should be between 0 and 4000.']);
    }
  }
}
