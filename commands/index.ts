import { animate, animateModal } from './animate.js';
import { jobActions } from './job-actions.js';
import { localizeCommand } from './localizations.js';
import { pingButtons } from './pings.js';
import type { Command, ComponentRoute } from './types.js';
import { vidu } from './vidu.js';
import { viduAdmin } from './vidu-admin.js';
import { jobsPages, viduJobs } from './vidu-jobs.js';
import { prefsPanel, viduSettings } from './vidu-settings.js';
import { viduShow } from './vidu-show.js';
import { storyButtons, viduStory } from './vidu-story.js';
import { storyboardModal, viduStoryboard } from './vidu-storyboard.js';
import { subjectsModal, viduSubjects } from './vidu-subjects.js';

/** Every command the bot registers and routes; registration and the router both read this. */
export const COMMANDS: readonly Command[] = [vidu, viduAdmin, animate, viduSubjects, viduJobs, viduShow, viduSettings, viduStoryboard, viduStory].map((c) => ({
  ...c,
  data: localizeCommand(c.data),
}));

/** Button and modal handlers, by custom_id prefix. */
export const COMPONENTS: readonly ComponentRoute[] = [
  jobActions,
  animateModal,
  subjectsModal,
  jobsPages,
  pingButtons,
  prefsPanel,
  storyboardModal,
  storyButtons,
];
