import {
  ApplicationIntegrationType,
  InteractionContextType,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { Logger } from '../src/log.js';
import type { SettingsCache } from '../src/settings/store.js';
import type { UsageLedger } from '../src/settings/usage.js';
import type { Balance } from '../src/upstream/client.js';
import type { RateGate } from '../src/tasks/limits.js';
import type { Scheduler } from '../src/tasks/scheduler.js';
import type { Downloader } from '../src/discord/deliver.js';
import type { Store } from '../src/store/index.js';

/** What a handler may use; built once in src/main.ts. */
export interface CommandContext {
  store: Store;
  scheduler: Scheduler;
  gate: RateGate;
  logger: Logger;
  now(): number;
  random(): number;
  tokenMarginMs: number;
  /** Bounded downloads of public URLs (uploaded images, finished videos); src/upstream/download.ts. */
  download: Pick<Downloader, 'bytes'>;
  settings: SettingsCache;
  usage: UsageLedger;
  /** The toapis account balance (`GET /v1/balance`). */
  balance(): Promise<Balance>;
  /** When each member last started a job, per server (`guild:user` → ms), for cooldowns. */
  lastStarts: Map<string, number>;
  /** False while the process shuts down: new work is refused with a clear answer. */
  accepting(): boolean;
  /** True the first time an interaction id is seen by this process. */
  firstSighting(id: string): boolean;
}

/**
 * A command is its definition plus thin handlers (discord.js create-discord-bot style).
 * Slash commands implement `execute`, message context menus `contextMenu`.
 */
export interface Command {
  data: RESTPostAPIApplicationCommandsJSONBody;
  execute?(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  contextMenu?(interaction: MessageContextMenuCommandInteraction, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
}

/**
 * Buttons and modals, routed by the first segment of their `custom_id`
 * (`<prefix>:<action>:<args…>`, ≤ 100 characters). Everything else is read from the store, so a
 * click after a restart works the same.
 */
export interface ComponentRoute {
  prefix: string;
  button?(interaction: ButtonInteraction, ctx: CommandContext, args: string[]): Promise<void>;
  modal?(interaction: ModalSubmitInteraction, ctx: CommandContext, args: string[]): Promise<void>;
}

/**
 * Where member commands are offered: servers that installed the bot and, through a user install,
 * servers that did not, the bot's DMs and group DMs.
 */
export const MEMBER_INTEGRATIONS = [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall];
export const MEMBER_CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel];

/** Builds a custom_id; throws if it would exceed Discord's 100 characters (a bug). */
export function customId(prefix: string, ...args: string[]): string {
  const id = [prefix, ...args].join(':');
  if (id.length > 100) throw new Error(`custom_id too long: ${id.length}`);
  return id;
}
