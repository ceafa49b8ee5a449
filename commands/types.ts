import {
  ApplicationIntegrationType,
  InteractionContextType,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
  type StringSelectMenuInteraction,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { Outbox } from '../src/discord/outbox.js';
import type { Logger } from '../src/log.js';
import type { SettingsCache } from '../src/settings/store.js';
import type { MemberGate, OperatorLedger, OperatorLimits } from '../src/settings/operator.js';
import type { UsageLedger } from '../src/settings/usage.js';
import type { Balance } from '../src/upstream/client.js';
import type { Scheduler } from '../src/tasks/scheduler.js';
import type { Downloader } from '../src/discord/deliver.js';
import type { Store } from '../src/store/index.js';
import type { UpstreamTask } from '../src/upstream/schemas.js';

/** What a handler may use; built once in src/main.ts. */
export interface CommandContext {
  store: Store;
  scheduler: Scheduler;
  /** Per-member safeguards (in flight, per minute), kept in the store. */
  gate: MemberGate;
  /** The operator's daily caps (VIDU_USER_DAILY_LIMIT, VIDU_DAILY_BUDGET), kept in the store. */
  operator: OperatorLedger;
  operatorLimits: OperatorLimits;
  logger: Logger;
  now(): number;
  random(): number;
  tokenMarginMs: number;
  /** Bounded downloads of public URLs (uploaded images, finished videos); src/upstream/download.ts. */
  download: Pick<Downloader, 'bytes' | 'toFile'>;
  /** Interaction replies with files streamed from disk (`/vidu-show`). */
  outbox: Pick<Outbox, 'editOriginal'>;
  /** Where files are staged before an upload (this process's temp directory). */
  tmpDir: string;
  settings: SettingsCache;
  usage: UsageLedger;
  /** The toapis account balance (`GET /v1/balance`). */
  balance(): Promise<Balance>;
  /** When each member last started a job, per server (`guild:user` → ms), for cooldowns. */
  lastStarts: Map<string, number>;
  /** False while the process shuts down: new work is refused with a clear answer. */
  accepting(): boolean;
  /** Looks an upstream task up by its id (`/vidu-show` of a stopped job). */
  upstreamTask(taskId: string): Promise<UpstreamTask>;
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
  select?(interaction: StringSelectMenuInteraction, ctx: CommandContext, args: string[]): Promise<void>;
}

/**
 * Where member commands are offered: servers that installed the bot and, through a user install,
 * servers that did not, the bot's DMs and group DMs.
 */
export const MEMBER_INTEGRATIONS = [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall];
export const MEMBER_CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel];

/**
 * Builds a custom_id; throws (a bug) if it would exceed Discord's 100 characters or if a part
 * contains the `:` separator, which {@link parseCustomId} would split into two arguments.
 */
export function customId(prefix: string, ...args: string[]): string {
  const parts = [prefix, ...args];
  if (parts.some((part) => part.includes(':'))) throw new Error('custom_id part contains ":"');
  const id = parts.join(':');
  if (id.length > 100) throw new Error(`custom_id too long: ${id.length}`);
  return id;
}

/** Splits a custom_id built by {@link customId} back into its prefix and arguments. */
export function parseCustomId(id: string): { prefix: string; args: string[] } {
  const [prefix = '', ...args] = id.split(':');
  return { prefix, args };
}
