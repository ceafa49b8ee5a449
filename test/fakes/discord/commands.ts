/**
 * Application command validation (platform.md §4): the checks Discord applies to a bulk PUT of
 * commands, answering 50035 with the field paths, or 30032 beyond the per-type limits.
 */
import { ApplicationCommandOptionType, ApplicationCommandType } from 'discord-api-types/v10';
import { errors, type FormErrorEntry } from './errors.js';
import { asArray, asEnum, asRecord, chars } from './util.js';

const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function longestLocalized(base: unknown, localizations: unknown): number {
  let max = chars(base);
  for (const value of Object.values(asRecord(localizations))) max = Math.max(max, chars(value));
  return max;
}

function validateOptionList(options: unknown[], path: (string | number)[], errs: FormErrorEntry[], depth: number): number {
  let total = 0;
  if (options.length > 25) errs.push([[...path], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
  let seenOptional = false;
  const names = new Set<string>();
  options.forEach((raw, i) => {
    const o = asRecord(raw);
    const p = [...path, i];
    const name = typeof o.name === 'string' ? o.name : '';
    if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
      errs.push([[...p, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid']);
    }
    if (names.has(name)) errs.push([[...p, 'name'], 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS', 'Option name already exists']);
    names.add(name);
    const desc = o.description;
    if (typeof desc !== 'string' || chars(desc) < 1 || chars(desc) > 100) {
      errs.push([[...p, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
    }
    total += longestLocalized(o.name, o.name_localizations) + longestLocalized(o.description, o.description_localizations);
    const type = asEnum(ApplicationCommandOptionType, Number(o.type));
    if (type === ApplicationCommandOptionType.Subcommand || type === ApplicationCommandOptionType.SubcommandGroup) {
      if (depth >= 2 || (type === ApplicationCommandOptionType.SubcommandGroup && depth >= 1)) {
        errs.push([[...p, 'type'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommands nested too deep']);
      }
      total += validateOptionList(asArray(o.options), [...p, 'options'], errs, depth + 1);
      return;
    }
    if (o.required === true && seenOptional) {
      errs.push([[...p, 'required'], 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', 'Required options must be placed before non-required options']);
    }
    if (o.required !== true) seenOptional = true;
    const choices = asArray(o.choices);
    if (choices.length > 25) errs.push([[...p, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.']);
    if (choices.length > 0 && o.autocomplete === true) {
      errs.push([[...p, 'autocomplete'], 'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID', 'Autocomplete cannot be used with choices']);
    }
    choices.forEach((rawChoice, j) => {
      const c = asRecord(rawChoice);
      if (chars(c.name) < 1 || chars(c.name) > 100) {
        errs.push([[...p, 'choices', j, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
      }
      if (typeof c.value === 'string' && chars(c.value) > 100) {
        errs.push([[...p, 'choices', j, 'value'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.']);
      }
      total +=
        longestLocalized(c.name, c.name_localizations) +
        (typeof c.value === 'string' ? chars(c.value) : typeof c.value === 'number' ? String(c.value).length : 0);
    });
    for (const key of ['min_length', 'max_length'] as const) {
      const v = o[key];
      if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 6000)) {
        errs.push([[...p, key], 'NUMBER_TYPE_MAX', 'int value should be between 0 and 6000.']);
      }
    }
  });
  return total;
}

export function validateCommands(body: unknown): void {
  if (!Array.isArray(body)) errors.invalidForm([[[], 'BASE_TYPE_ARRAY', 'Must be an array.']]);
  const list = body as unknown[];
  const errs: FormErrorEntry[] = [];
  const seen = new Set<string>();
  const counts = new Map<number, number>();
  list.forEach((raw, i) => {
    const c = asRecord(raw);
    const type = c.type === undefined ? ApplicationCommandType.ChatInput : asEnum(ApplicationCommandType, Number(c.type));
    counts.set(type, (counts.get(type) ?? 0) + 1);
    const name = typeof c.name === 'string' ? c.name : '';
    if (type === ApplicationCommandType.ChatInput) {
      if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
        errs.push([[i, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid']);
      }
      if (typeof c.description !== 'string' || chars(c.description) < 1 || chars(c.description) > 100) {
        errs.push([[i, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
      }
      let total = longestLocalized(c.name, c.name_localizations) + longestLocalized(c.description, c.description_localizations);
      total += validateOptionList(asArray(c.options), [i, 'options'], errs, 0);
      if (total > 8000) errs.push([[i], 'APPLICATION_COMMAND_TOO_LARGE', 'Command exceeds maximum size (8000)']);
    } else {
      if (chars(name) < 1 || chars(name) > 32) {
        errs.push([[i, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.']);
      }
      if (c.description !== undefined && c.description !== '') {
        errs.push([[i, 'description'], 'APPLICATION_COMMAND_DESCRIPTION_INVALID', 'Context menu commands cannot have a description']);
      }
      if (asArray(c.options).length > 0) {
        errs.push([[i, 'options'], 'APPLICATION_COMMAND_OPTIONS_INVALID', 'Context menu commands cannot have options']);
      }
    }
    const key = `${type}:${name}`;
    if (seen.has(key)) errs.push([[i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Application command names must be unique`]);
    seen.add(key);
  });
  if (errs.length > 0) errors.invalidForm(errs);
  if (
    (counts.get(ApplicationCommandType.ChatInput) ?? 0) > 100 ||
    (counts.get(ApplicationCommandType.User) ?? 0) > 15 ||
    (counts.get(ApplicationCommandType.Message) ?? 0) > 15
  ) {
    errors.tooManyCommands();
  }
}
