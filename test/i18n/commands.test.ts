import { Locale as DiscordLocale, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { COMMAND_LOCALIZATIONS, localizeCommand } from '../../commands/localizations.js';
import { MODEL_IDS } from '../../src/generation/models.js';
import { LOCALES, t, tn } from '../../src/i18n/index.js';

/** What Discord checks on a command's localized texts (platform.md §4; discord.com/developers/docs/interactions/application-commands). */
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const DISCORD_LOCALES = new Set<string>(Object.values(DiscordLocale));
const MAX_COMMAND_CHARS = 8000;

type Loc = Record<string, string | null> | null | undefined;
interface Node {
  type?: number;
  name: string;
  name_localizations?: Loc;
  description?: string;
  description_localizations?: Loc;
  options?: Node[];
  choices?: { name: string; name_localizations?: Loc; value: string | number }[];
}

const chars = (s: string) => [...s].length;
const values = (map: Loc) => Object.values(map ?? {}).filter((v): v is string => typeof v === 'string');
const longest = (base: string, map: Loc) => Math.max(chars(base), ...values(map).map(chars));

/** Every rule broken by `command`, as readable lines; empty when Discord would accept it. */
function discordProblems(command: Node): string[] {
  const problems: string[] = [];
  const checkKeys = (where: string, map: Loc) => {
    for (const key of Object.keys(map ?? {})) if (!DISCORD_LOCALES.has(key)) problems.push(`${where}: unknown locale ${key}`);
  };
  const checkDescription = (where: string, node: Node) => {
    checkKeys(`${where} description`, node.description_localizations);
    for (const d of [node.description ?? '', ...values(node.description_localizations)]) {
      if (chars(d) < 1 || chars(d) > 100) problems.push(`${where}: description of ${chars(d)} characters: ${d}`);
    }
  };
  const checkName = (where: string, name: string) => {
    if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) problems.push(`${where}: invalid name ${name}`);
  };
  /** Names per locale at one level must be unique, a missing localization showing the default name. */
  const checkUnique = (where: string, nodes: Node[]) => {
    const locales = new Set(nodes.flatMap((n) => Object.keys(n.name_localizations ?? {})));
    for (const locale of ['', ...locales]) {
      const names = nodes.map((n) => (locale && n.name_localizations?.[locale]) || n.name);
      if (new Set(names).size !== names.length) problems.push(`${where}: duplicate names in ${locale || 'default'}`);
    }
  };
  const walk = (nodes: Node[], path: string): number => {
    let total = 0;
    checkUnique(path, nodes);
    for (const o of nodes) {
      const where = `${path} ${o.name}`;
      checkName(where, o.name);
      checkKeys(`${where} name`, o.name_localizations);
      for (const n of values(o.name_localizations)) checkName(`${where} (localized)`, n);
      checkDescription(where, o);
      total += longest(o.name, o.name_localizations) + longest(o.description ?? '', o.description_localizations);
      for (const c of o.choices ?? []) {
        checkKeys(`${where} choice ${c.value}`, c.name_localizations);
        for (const n of [c.name, ...values(c.name_localizations)]) {
          if (chars(n) < 1 || chars(n) > 100) problems.push(`${where} choice ${c.value}: name of ${chars(n)} characters`);
        }
        total += longest(c.name, c.name_localizations) + String(c.value).length;
      }
      if (o.options) total += walk(o.options, where);
    }
    return total;
  };
  const type = command.type ?? 1;
  if (type === 1) {
    checkName('/', command.name);
    checkKeys('name', command.name_localizations);
    for (const n of values(command.name_localizations)) checkName('/ (localized)', n);
    checkDescription('/', command);
    const total =
      longest(command.name, command.name_localizations) +
      longest(command.description ?? '', command.description_localizations) +
      walk(command.options ?? [], `/${command.name}`);
    if (total > MAX_COMMAND_CHARS) problems.push(`${command.name}: ${total} characters, over ${MAX_COMMAND_CHARS}`);
  } else {
    checkKeys('name', command.name_localizations);
    for (const n of [command.name, ...values(command.name_localizations)]) {
      if (chars(n) < 1 || chars(n) > 32) problems.push(`${command.name}: name of ${chars(n)} characters: ${n}`);
    }
  }
  return problems;
}

const registered = (name: string) => COMMANDS.find((c) => c.data.name === name)!.data as unknown as Node;

/** Every option of a command with its path (`channels allow channel`). */
function optionPaths(node: Node, path = ''): [string, Node][] {
  return (node.options ?? []).flatMap((o) => {
    const p = path ? `${path} ${o.name}` : o.name;
    return [[p, o] as [string, Node], ...optionPaths(o, p)];
  });
}

const TRANSLATED = ['zh-CN', 'ja', 'ko', 'es-ES', 'es-419'];

describe('command localizations', () => {
  it.each(COMMANDS.map((c) => [c.data.name, c.data] as const))('%s passes Discord’s limits', (_name, data) => {
    expect(discordProblems(data as unknown as Node)).toEqual([]);
  });

  it('a validator that catches what Discord refuses (sanity check of the check)', () => {
    const bad: Node = {
      name: 'x',
      description: 'd',
      description_localizations: { ja: 'あ'.repeat(101), xx: 'y' },
      options: [
        { type: 3, name: 'a', description: 'd' },
        { type: 3, name: 'b', description: 'd', name_localizations: { ja: 'a' } },
        { type: 3, name: 'c', description: 'd', name_localizations: { ja: 'Ａ' } },
      ],
    };
    expect(discordProblems(bad)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unknown locale xx'),
        expect.stringContaining('description of 101'),
        expect.stringContaining('invalid name Ａ'),
        expect.stringContaining('duplicate names in ja'),
      ]),
    );
  });

  it('every table entry names an option that exists (no stale paths)', () => {
    for (const [command, entries] of Object.entries(COMMAND_LOCALIZATIONS)) {
      const paths = new Set(['', ...optionPaths(registered(command)).map(([p]) => p)]);
      for (const path of Object.keys(entries)) expect(paths.has(path), `${command} “${path}”`).toBe(true);
    }
  });

  it.each(['vidu', 'vidu-admin', 'vidu-subjects', 'vidu-jobs', 'vidu-show'])(
    '/%s: every description and every worded choice is translated; names stay English',
    (name) => {
      const command = registered(name);
      for (const [where, node] of [['', command] as [string, Node], ...optionPaths(command)]) {
        expect(Object.keys(node.description_localizations ?? {}).sort(), `${name} ${where}`).toEqual([...TRANSLATED].sort());
        expect(node.name_localizations ?? undefined, `${name} ${where}`).toBeUndefined();
        for (const c of node.choices ?? []) {
          // Model ids and resolutions read the same everywhere; worded choices are translated.
          const worded = c.name !== String(c.value) || ['public', 'private'].includes(c.name);
          if (!worded) continue;
          expect(Object.keys(c.name_localizations ?? {}).sort(), `${name} ${where} ${c.value}`).toEqual([...TRANSLATED].sort());
        }
      }
    },
  );

  it('the message command’s name is translated, as the catalogs name it', () => {
    const animate = registered('Animate with Vidu');
    expect(animate.name_localizations).toEqual({
      'zh-CN': t('zh-CN', 'animate.commandName'),
      ja: t('ja', 'animate.commandName'),
      ko: t('ko', 'animate.commandName'),
      'es-ES': t('es-ES', 'animate.commandName'),
      'es-419': t('es-ES', 'animate.commandName'),
    });
    expect(t('en-US', 'animate.commandName')).toBe(animate.name);
  });

  it('/vidu model choices read “id — description” in each language, within 100 characters', () => {
    const model = registered('vidu').options!.find((o) => o.name === 'model')!;
    const pro = model.choices!.find((c) => c.value === 'viduq3-pro')!;
    expect(pro.name_localizations!.ja).toBe(`viduq3-pro — ${t('ja', 'model.viduq3-pro')}`);
    expect(model.choices!.map((c) => c.value)).toEqual([...MODEL_IDS]);
    // Translations fit whole (the cut to 100 characters is only a safety net).
    for (const locale of LOCALES.filter((l) => l !== 'en-US')) {
      for (const id of MODEL_IDS) expect(chars(`${id} — ${t(locale, `model.${id}`)}`), `${locale} ${id}`).toBeLessThanOrEqual(100);
    }
  });

  it('a command without a table entry is left as it is; the output is stable (registration hashes it)', () => {
    const plain = { name: 'other', description: 'd', options: [] } as unknown as RESTPostAPIApplicationCommandsJSONBody;
    expect(localizeCommand(plain)).toBe(plain);
    const vidu = registered('vidu') as unknown as RESTPostAPIApplicationCommandsJSONBody;
    expect(JSON.stringify(localizeCommand(vidu))).toBe(JSON.stringify(vidu));
  });
});

describe('component texts fit Discord’s limits in every locale', () => {
  it.each(LOCALES)('%s', (locale) => {
    // Modal titles and Label labels ≤ 45; Label descriptions, select option descriptions ≤ 100; button labels ≤ 80.
    const titles = [t(locale, 'form.editTitle'), ...[1, 2, 7].map((n) => tn(locale, 'animate.title', n))];
    for (const s of titles) expect(chars(s), s).toBeLessThanOrEqual(45);
    for (const k of ['form.prompt', 'form.model', 'form.duration', 'form.resolution'] as const) expect(chars(t(locale, k))).toBeLessThanOrEqual(45);
    for (const k of ['form.promptHint', 'form.modelHint'] as const) expect(chars(t(locale, k))).toBeLessThanOrEqual(100);
    for (const id of MODEL_IDS) expect(chars(t(locale, `model.${id}`))).toBeLessThanOrEqual(100);
    const buttons = ['button.reroll', 'button.tryAgain', 'button.edit', 'button.continue', 'button.details', 'button.delete', 'button.openVideo'] as const;
    for (const k of buttons) expect(chars(t(locale, k))).toBeLessThanOrEqual(80);
  });
});
