import { SlashCommandBuilder, type ButtonInteraction, type RepliableInteraction } from 'discord.js';
import { RequestError, describeRequestError } from '../src/generation/errors.js';
import { MODEL_IDS, MODELS, RESOLUTIONS, isModelId } from '../src/generation/models.js';
import type { GenerationRequest } from '../src/generation/request.js';
import { MAX_CLIPS, MIN_CLIPS, StoryError, buildStoryRequests, describeStoryError } from '../src/generation/story.js';
import { t } from '../src/i18n/index.js';
import { renderRefusal } from '../src/render/render.js';
import { applyDefaults } from '../src/settings/effective.js';
import { prefsBeforeAck } from '../src/settings/member.js';
import { jobWeight } from '../src/settings/settings.js';
import { absentIfCorrupt } from '../src/store/index.js';
import type { ClipQuota, StoryRecord } from '../src/store/stories.js';
import type { TaskRecord } from '../src/tasks/record.js';
import { clipJobId, lastFrameImage, storyPrompts } from '../src/tasks/story.js';
import { isJobId } from './access.js';
import { startJob, type Reserved } from './start-job.js';
import { MEMBER_CONTEXTS, MEMBER_INTEGRATIONS, type Command, type CommandContext, type ComponentRoute } from './types.js';

/** Each prompt, in characters (Vidu's limit). */
const PROMPT_CHARS = 5000;
/** Models that take a first frame (the previous clip's last frame). */
const STORY_MODELS = MODEL_IDS.filter((id) => MODELS[id].imageRole === 'frames');

/**
 * The prompts as the member typed them, in order (`prompt1` … `prompt6`, gaps closed). A forged
 * interaction may carry more (`prompt7`…): they are counted so the refusal says how many.
 */
function readPrompts(interaction: { options: { data: readonly { name: string; value?: unknown }[] } }): string[] {
  return interaction.options.data
    .map((o) => ({ n: /^prompt(\d{1,2})$/.exec(o.name)?.[1], value: o.value }))
    .filter((o): o is { n: string; value: unknown } => o.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n))
    .map((o) => (typeof o.value === 'string' ? o.value : ''));
}

const builder = new SlashCommandBuilder()
  .setName('vidu-story')
  .setDescription('Up to six clips, each starting from the last frame of the one before, joined into one video')
  .setIntegrationTypes(MEMBER_INTEGRATIONS)
  .setContexts(MEMBER_CONTEXTS);
for (let i = 1; i <= MAX_CLIPS; i++) {
  builder.addStringOption((o) =>
    o
      .setName(`prompt${i}`)
      .setDescription(`What happens in clip ${i}${i <= MIN_CLIPS ? '' : ' (optional)'}`)
      .setRequired(i <= MIN_CLIPS)
      .setMaxLength(PROMPT_CHARS),
  );
}
builder
  .addStringOption((o) =>
    o
      .setName('model')
      .setDescription('Model for every clip (default: yours, else viduq3-turbo)')
      .addChoices(...STORY_MODELS.map((id) => ({ name: id, value: id }))),
  )
  .addIntegerOption((o) => o.setName('duration').setDescription('Length of each clip in seconds: 1–16 (default: yours, else 5)').setMinValue(1).setMaxValue(16))
  .addStringOption((o) =>
    o
      .setName('resolution')
      .setDescription('Output resolution')
      .addChoices(...RESOLUTIONS.map((r) => ({ name: r, value: r }))),
  )
  .addStringOption((o) => o.setName('aspect_ratio').setDescription('W:H of the first clip, such as 16:9 (the later ones follow it)').setMaxLength(11))
  .addBooleanOption((o) => o.setName('audio').setDescription('Speech and sound effects (default on)'));

/** What the story record keeps per clip from a startJob reservation: the same days for every clip. */
function clipQuota(reserved: Reserved): ClipQuota {
  return {
    ...(reserved.quota ? { usageDay: reserved.quota.day, memberLeft: reserved.quota.memberLeft, serverLeft: reserved.quota.serverLeft } : {}),
    ...(reserved.operatorQuota ? { operatorDay: reserved.operatorQuota.day } : {}),
  };
}

/** The first clip's record of a run: its own share of the reservation and the story link. */
function firstClip(record: TaskRecord, story: StoryRecord, index: number, clips: NonNullable<TaskRecord['story']>['clips']): TaskRecord {
  const { quota, operatorQuota, ...rest } = record;
  return {
    ...rest,
    ...(quota ? { quota: { ...quota, weight: story.clipWeight } } : {}),
    ...(operatorQuota ? { operatorQuota: { ...operatorQuota, weight: story.clipWeight } } : {}),
    story: { id: story.id, index, total: story.requests.length, slot: record.id, clips, prompts: storyPrompts(story) },
  };
}

export const viduStory: Command = {
  data: builder.toJSON(),
  async execute(interaction, ctx) {
    const locale = interaction.locale;
    const prompts = readPrompts(interaction);
    const typed = {
      model: interaction.options.getString('model'),
      duration: interaction.options.getInteger('duration'),
      resolution: interaction.options.getString('resolution'),
      aspectRatio: interaction.options.getString('aspect_ratio'),
      audio: interaction.options.getBoolean('audio'),
    };
    let requests: GenerationRequest[];
    let effective;
    try {
      const prefs = await prefsBeforeAck(ctx.store.memberPrefs, interaction.user.id);
      const settings = ctx.settings.get(interaction.guildId);
      effective = applyDefaults(typed, prefs, settings, { imageCount: 0, inGuild: interaction.inGuild() });
      // Off-peak only when the server forces it (a story has no off_peak option of its own).
      const { audioType: _a, offPeak: _o, ...rest } = effective.options;
      const shared = settings.offPeak === 'force' ? { ...rest, offPeak: true } : rest;
      // A member default without frames (viduq3) gives way; a typed one is refused below.
      const model = !typed.model && shared.model && isModelId(shared.model) && MODELS[shared.model].imageRole !== 'frames' ? 'viduq3-pro' : shared.model;
      requests = buildStoryRequests(prompts, { ...shared, model }, { random: ctx.random });
    } catch (err) {
      if (err instanceof StoryError) {
        await interaction.reply(renderRefusal(describeStoryError(err, locale)));
        return;
      }
      if (!(err instanceof RequestError)) throw err;
      await interaction.reply(renderRefusal(describeRequestError(err, locale)));
      return;
    }
    const clipWeight = jobWeight(requests[0]!);
    await startJob(interaction, ctx, requests[0]!, {
      ephemeral: effective.ephemeral,
      notes: effective.notes,
      alsoReserve: requests.slice(1).map((_, i) => clipJobId(interaction.id, i + 1)),
      async prepare(record, reserved) {
        const quota = clipQuota(reserved);
        const story: StoryRecord = {
          v: 1,
          id: record.id,
          ownerId: record.owner.userId,
          guildId: record.owner.guildId,
          createdAt: record.createdAt,
          updatedAt: record.createdAt,
          state: 'running',
          requests,
          jobs: requests.map((_, i) => (i === 0 ? record.id : null)),
          clipWeight,
          // The first clip's share rides on its job record (given back by the engine if it fails).
          quotas: requests.map((_, i) => (i === 0 ? null : quota)),
        };
        await ctx.store.stories.set(story.id, story);
        return firstClip(record, story, 0, []);
      },
    });
  },
};

async function refuse(interaction: RepliableInteraction, text: string): Promise<void> {
  await interaction.reply(renderRefusal(text));
}

/**
 * Retry of the clip a story stopped at (`story:retry:<storyId>:<index>`): the requester only,
 * checked against the stored story; the clips from there on are reserved again and the chain
 * goes on from the previous clip's last frame, on a new card.
 */
async function retry(interaction: ButtonInteraction, ctx: CommandContext, storyId: string | undefined, indexArg: string | undefined): Promise<void> {
  const locale = interaction.locale;
  if (!isJobId(storyId) || !indexArg || !/^[0-5]$/.test(indexArg)) {
    await refuse(interaction, t(locale, 'auth.invalid'));
    return;
  }
  const index = Number(indexArg);
  const story = await ctx.store.stories.get(storyId).catch(absentIfCorrupt);
  if (!story) {
    await refuse(interaction, t(locale, 'actions.expired'));
    return;
  }
  if (story.ownerId !== interaction.user.id) {
    ctx.logger.info({ story: story.id, by: interaction.user.id }, 'refused: story retry by another member');
    await refuse(interaction, t(locale, 'auth.notYours', { owner: `<@${story.ownerId}>` }));
    return;
  }
  if (story.state !== 'failed' || story.stoppedAt !== index || index >= story.requests.length) {
    await refuse(interaction, t(locale, 'story.retryNotNeeded'));
    return;
  }
  // The earlier clips: the joined video needs them all, and the next clip starts from the last one's frame.
  const earlier = await ctx.store.getMany(story.jobs.slice(0, index).map((id) => id ?? ''));
  const clips: NonNullable<TaskRecord['story']>['clips'] = [];
  for (const r of earlier) {
    const outcome = r?.outcome;
    if (!r || outcome?.kind !== 'video' || (outcome.expiresAt !== undefined && outcome.expiresAt <= ctx.now())) {
      await refuse(interaction, t(locale, 'story.retryGone'));
      return;
    }
    clips.push({ jobId: r.id, url: outcome.url });
  }
  const previous = earlier[index - 1]?.outcome;
  const base = story.requests[index]!;
  const request: GenerationRequest =
    previous?.kind === 'video' ? { ...base, seed: Math.floor(ctx.random() * 2_147_483_648), images: [lastFrameImage(previous)] } : base;
  const left = story.requests.length - index;
  await startJob(interaction, ctx, request, {
    alsoReserve: Array.from({ length: left - 1 }, (_, i) => clipJobId(interaction.id, index + 1 + i)),
    async prepare(record, reserved) {
      // Read again: a second click (or another process) may have retried it meanwhile.
      const now = await ctx.store.stories.get(story.id);
      if (!now || now.state !== 'failed' || now.stoppedAt !== index) throw new Error('story retried meanwhile');
      const quota = clipQuota(reserved);
      const next: StoryRecord = {
        ...now,
        state: 'running',
        stoppedAt: undefined,
        jobs: now.jobs.map((j, i) => (i === index ? record.id : i > index ? null : j)),
        quotas: now.quotas.map((q, i) => (i > index ? quota : i === index ? null : q)),
        updatedAt: ctx.now(),
      };
      await ctx.store.stories.set(next.id, next);
      ctx.logger.info({ story: story.id, clip: index + 1, task: record.id }, 'story clip retried');
      return firstClip(record, next, index, clips);
    },
  });
}

/** The Retry button of a story that stopped at a failed clip. */
export const storyButtons: ComponentRoute = {
  prefix: 'story',
  async button(interaction, ctx, [action, storyId, index, ...extra]) {
    if (action !== 'retry' || extra.length > 0) {
      await refuse(interaction, t(interaction.locale, 'auth.invalid'));
      return;
    }
    await retry(interaction, ctx, storyId, index);
  },
};
