import { animate, animateModal } from './animate.js';
import { jobActions } from './job-actions.js';
import type { Command, ComponentRoute } from './types.js';
import { vidu } from './vidu.js';
import { viduAdmin } from './vidu-admin.js';

/** Every command the bot registers and routes; registration and the router both read this. */
export const COMMANDS: readonly Command[] = [vidu, viduAdmin, animate];

/** Button and modal handlers, by custom_id prefix. */
export const COMPONENTS: readonly ComponentRoute[] = [jobActions, animateModal];
