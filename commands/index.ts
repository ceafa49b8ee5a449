import type { Command } from './types.js';
import { vidu } from './vidu.js';

/** Every command the bot registers and routes; registration and the router both read this. */
export const COMMANDS: readonly Command[] = [vidu];
