import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { Logger } from '../src/log.js';
import type { RateGate } from '../src/tasks/limits.js';
import type { Scheduler } from '../src/tasks/scheduler.js';
import type { TaskStore } from '../src/tasks/store.js';

/** What a command's `execute` may use; built once in src/main.ts. */
export interface CommandContext {
  store: TaskStore;
  scheduler: Scheduler;
  gate: RateGate;
  logger: Logger;
  now(): number;
  random(): number;
  tokenMarginMs: number;
  /** False while the process shuts down: new work is refused with a clear answer. */
  accepting(): boolean;
  /** True the first time an interaction id is seen by this process. */
  firstSighting(id: string): boolean;
}

/** A command is its definition plus one thin handler (discord.js create-discord-bot style). */
export interface Command {
  data: RESTPostAPIApplicationCommandsJSONBody;
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
}
