import {
  ApplicationIntegrationType,
  ChannelType,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { MODEL_IDS, RESOLUTIONS, type ModelId } from '../src/generation/models.js';
import { joinList, t } from '../src/i18n/index.js';
import { MODEL_WEIGHTS, OFF_PEAK_POLICIES, type GuildSettings, type OffPeakPolicy } from '../src/settings/settings.js';
import type { Command, CommandContext } from './types.js';

const builder = new SlashCommandBuilder()
  .setName('vidu-admin')
  .setDescription('Server controls for vidu-bot: who may generate, how much, and what it costs')
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('show').setDescription('Show this server’s settings and today’s usage'))
  .addSubcommand((s) => s.setName('pause').setDescription('Pause video generation on this server'))
  .addSubcommand((s) => s.setName('resume').setDescription('Resume video generation on this server'))
  .addSubcommand((s) => s.setName('balance').setDescription('Show the toapis account balance'))
  .addSubcommandGroup((g) =>
    g
      .setName('channels')
      .setDescription('Channels where /vidu may be used (none = everywhere)')
      .addSubcommand((s) =>
        s
          .setName('allow')
          .setDescription('Allow /vidu in a channel')
          .addChannelOption((o) =>
            o
              .setName('channel')
              .setDescription('Channel')
              .setRequired(true)
              .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum),
          ),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription('Remove a channel from the list')
          .addChannelOption((o) => o.setName('channel').setDescription('Channel').setRequired(true)),
      )
      .addSubcommand((s) => s.setName('clear').setDescription('Allow /vidu everywhere again')),
  )
  .addSubcommandGroup((g) =>
    g
      .setName('roles')
      .setDescription('Roles that may use /vidu (none = everyone)')
      .addSubcommand((s) =>
        s
          .setName('allow')
          .setDescription('Allow a role')
          .addRoleOption((o) => o.setName('role').setDescription('Role').setRequired(true)),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription('Remove a role from the list')
          .addRoleOption((o) => o.setName('role').setDescription('Role').setRequired(true)),
      )
      .addSubcommand((s) => s.setName('clear').setDescription('Let everyone use /vidu again')),
  )
  .addSubcommand((s) =>
    s
      .setName('defaults')
      .setDescription('Defaults for options members leave out')
      .addStringOption((o) =>
        o
          .setName('model')
          .setDescription('Default model')
          .addChoices(...MODEL_IDS.map((m) => ({ name: m, value: m }))),
      )
      .addStringOption((o) =>
        o
          .setName('resolution')
          .setDescription('Default resolution')
          .addChoices(...RESOLUTIONS.map((r) => ({ name: r, value: r }))),
      )
      .addIntegerOption((o) => o.setName('duration').setDescription('Default duration in seconds').setMinValue(1).setMaxValue(16))
      .addBooleanOption((o) => o.setName('reset').setDescription('Clear all defaults first')),
  )
  .addSubcommand((s) =>
    s
      .setName('caps')
      .setDescription('Upper limits on what members may ask for')
      .addStringOption((o) => o.setName('models').setDescription('Allowed models, comma-separated (e.g. viduq3-turbo,viduq3)'))
      .addStringOption((o) =>
        o
          .setName('max_resolution')
          .setDescription('Highest resolution')
          .addChoices(...RESOLUTIONS.map((r) => ({ name: r, value: r }))),
      )
      .addIntegerOption((o) => o.setName('max_duration').setDescription('Longest video in seconds').setMinValue(1).setMaxValue(16))
      .addBooleanOption((o) => o.setName('reset').setDescription('Remove all caps first')),
  )
  .addSubcommand((s) =>
    s
      .setName('limits')
      .setDescription('Daily limits in weighted video-seconds, and a cooldown (0 = off)')
      .addIntegerOption((o) => o.setName('member_daily').setDescription('Per member per day (UTC)').setMinValue(0).setMaxValue(100_000))
      .addIntegerOption((o) => o.setName('server_daily').setDescription('Whole server per day (UTC)').setMinValue(0).setMaxValue(1_000_000))
      .addIntegerOption((o) => o.setName('cooldown').setDescription('Seconds between two jobs of a member').setMinValue(0).setMaxValue(86_400)),
  )
  .addSubcommand((s) =>
    s
      .setName('replies')
      .setDescription('Public replies, or private ones only the member sees')
      .addStringOption((o) =>
        o
          .setName('visibility')
          .setDescription('public or private')
          .setRequired(true)
          .addChoices({ name: 'public', value: 'public' }, { name: 'private', value: 'private' }),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('off_peak')
      .setDescription('Off-peak generation (within 48 h, fewer credits): let members choose, forbid it, or force it')
      .addStringOption((o) =>
        o
          .setName('policy')
          .setDescription('allow, forbid or force')
          .setRequired(true)
          .addChoices(
            { name: 'allow — members choose', value: 'allow' },
            { name: 'forbid — never off-peak', value: 'forbid' },
            { name: 'force — every video off-peak', value: 'force' },
          ),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('alerts')
      .setDescription('Where to warn admins (e.g. out of credits); empty = DM the owner')
      .addChannelOption((o) => o.setName('channel').setDescription('Alert channel').addChannelTypes(ChannelType.GuildText)),
  );

const OFF_PEAK_LABEL = { allow: 'admin.offPeak.allow', forbid: 'admin.offPeak.forbid', force: 'admin.offPeak.force' } as const satisfies Record<
  OffPeakPolicy,
  string
>;

const opt = {
  int: (i: ChatInputCommandInteraction, name: string) => i.options.getInteger(name),
};

/** The settings as an admin reads them, in `locale` (a Discord locale; default en-US). Pure. */
export function describeSettings(s: GuildSettings, usage: { total: number } | undefined, locale = 'en-US'): string {
  const list = (ids: string[], fmt: (id: string) => string, none: string) => (ids.length ? joinList(locale, ids.map(fmt)) : none);
  const none = t(locale, 'admin.none');
  const lines = [
    ...(s.failedClosed ? [t(locale, 'admin.show.failedClosed', { when: `<t:${Math.floor(s.failedClosed.at / 1000)}:R>` })] : []),
    t(locale, 'admin.show.generation', {
      state: t(locale, s.paused ? 'admin.state.paused' : 'admin.state.running'),
      replies: t(locale, s.replies === 'private' ? 'admin.replies.private' : 'admin.replies.public'),
    }),
    t(locale, 'admin.show.channels', { channels: list(s.allowedChannels, (c) => `<#${c}>`, t(locale, 'admin.everywhere')) }),
    t(locale, 'admin.show.roles', { roles: list(s.allowedRoles, (r) => `<@&${r}>`, t(locale, 'admin.everyone')) }),
    t(locale, 'admin.show.defaults', {
      model: s.defaults.model ?? 'viduq3-turbo',
      resolution: s.defaults.resolution ?? '720p',
      duration: s.defaults.duration ?? 5,
    }),
    t(locale, 'admin.show.caps', {
      models: s.caps.models.length ? s.caps.models.join(', ') : t(locale, 'admin.all'),
      resolution: s.caps.maxResolution ?? none,
      duration: s.caps.maxDuration !== undefined ? `${s.caps.maxDuration} s` : none,
    }),
    t(locale, 'admin.show.limits', {
      member: s.memberDailyLimit ?? none,
      server: s.serverDailyBudget ?? none,
      used: usage ? t(locale, 'admin.show.usedToday', { total: usage.total }) : '',
      cooldown: s.cooldownSeconds ? `${s.cooldownSeconds} s` : none,
    }),
    t(locale, 'admin.show.offPeak', { policy: t(locale, OFF_PEAK_LABEL[s.offPeak]) }),
    t(locale, 'admin.show.alerts', { alerts: s.alertChannelId ? `<#${s.alertChannelId}>` : t(locale, 'admin.ownerDm') }),
    `-# ${t(locale, 'admin.show.weights', {
      weights: Object.entries(MODEL_WEIGHTS)
        .map(([m, w]) => `${m} ×${w}`)
        .join(' · '),
    })}`,
  ];
  return lines.join('\n');
}

async function change(i: ChatInputCommandInteraction, ctx: CommandContext, fn: (s: GuildSettings) => GuildSettings, done: string) {
  const next = await ctx.settings.update(i.guildId!, fn);
  ctx.logger.info({ guild: i.guildId, by: i.user.id, sub: i.options.getSubcommand() }, 'settings changed');
  await i.editReply({ content: `✅ ${done}\n\n${describeSettings(next, undefined, i.locale)}`, allowedMentions: { parse: [] } });
}

export const viduAdmin: Command = {
  data: builder.toJSON(),
  async execute(i, ctx) {
    if (!i.inGuild()) return;
    const locale = i.locale;
    // Discord hides the command from others by default, but admins can change that: check again.
    if (!i.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
      await i.reply({ content: `⚠️ ${t(locale, 'admin.onlyManagers')}`, flags: MessageFlags.Ephemeral });
      return;
    }
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const group = i.options.getSubcommandGroup(false);
    const sub = i.options.getSubcommand();
    const key = group ? `${group} ${sub}` : sub;
    switch (key) {
      case 'show': {
        const usage = await ctx.usage.today(i.guildId).catch(() => undefined);
        await i.editReply({ content: describeSettings(ctx.settings.get(i.guildId), usage, locale), allowedMentions: { parse: [] } });
        return;
      }
      case 'pause':
        return change(i, ctx, (s) => ({ ...s, paused: true }), t(locale, 'admin.paused'));
      case 'resume':
        // Resuming is the admin's answer to a fail-closed incident too: it is over.
        return change(i, ctx, (s) => ({ ...s, paused: false, failedClosed: undefined }), t(locale, 'admin.resumed'));
      case 'balance': {
        try {
          const b = await ctx.balance();
          await i.editReply(b.unlimited ? t(locale, 'admin.balanceUnlimited') : t(locale, 'admin.balance', { remain: b.remain, used: b.used }));
        } catch (err) {
          ctx.logger.warn({ err }, 'balance lookup failed');
          await i.editReply(`⚠️ ${t(locale, 'admin.balanceFailed')}`);
        }
        return;
      }
      case 'channels allow': {
        const c = i.options.getChannel('channel', true).id;
        return change(
          i,
          ctx,
          (s) => ({ ...s, allowedChannels: [...new Set([...s.allowedChannels, c])] }),
          t(locale, 'admin.channelAllowed', { channel: `<#${c}>` }),
        );
      }
      case 'channels remove': {
        const c = i.options.getChannel('channel', true).id;
        return change(
          i,
          ctx,
          (s) => ({ ...s, allowedChannels: s.allowedChannels.filter((x) => x !== c) }),
          t(locale, 'admin.channelRemoved', { channel: `<#${c}>` }),
        );
      }
      case 'channels clear':
        return change(i, ctx, (s) => ({ ...s, allowedChannels: [] }), t(locale, 'admin.channelsCleared'));
      case 'roles allow': {
        const r = i.options.getRole('role', true).id;
        return change(i, ctx, (s) => ({ ...s, allowedRoles: [...new Set([...s.allowedRoles, r])] }), t(locale, 'admin.roleAllowed', { role: `<@&${r}>` }));
      }
      case 'roles remove': {
        const r = i.options.getRole('role', true).id;
        return change(i, ctx, (s) => ({ ...s, allowedRoles: s.allowedRoles.filter((x) => x !== r) }), t(locale, 'admin.roleRemoved', { role: `<@&${r}>` }));
      }
      case 'roles clear':
        return change(i, ctx, (s) => ({ ...s, allowedRoles: [] }), t(locale, 'admin.rolesCleared'));
      case 'defaults': {
        const model = i.options.getString('model') as ModelId | null;
        const resolution = i.options.getString('resolution') as GuildSettings['defaults']['resolution'] | null;
        const duration = opt.int(i, 'duration');
        return change(
          i,
          ctx,
          (s) => {
            const d = i.options.getBoolean('reset') ? {} : { ...s.defaults };
            if (model) d.model = model;
            if (resolution) d.resolution = resolution;
            if (duration !== null) d.duration = duration;
            return { ...s, defaults: d };
          },
          t(locale, 'admin.defaultsSaved'),
        );
      }
      case 'caps': {
        const raw = i.options.getString('models');
        const models =
          raw === null
            ? null
            : raw
                .split(',')
                .map((m) => m.trim())
                .filter(Boolean);
        const unknown = models?.filter((m) => !(MODEL_IDS as readonly string[]).includes(m)) ?? [];
        if (unknown.length > 0) {
          await i.editReply(`⚠️ ${t(locale, 'admin.unknownModel', { models: unknown.join(', '), known: MODEL_IDS.join(', ') })}`);
          return;
        }
        const maxResolution = i.options.getString('max_resolution') as GuildSettings['caps']['maxResolution'] | null;
        const maxDuration = opt.int(i, 'max_duration');
        return change(
          i,
          ctx,
          (s) => {
            const c = i.options.getBoolean('reset') ? { models: [] as ModelId[] } : { ...s.caps };
            if (models) c.models = models as ModelId[];
            if (maxResolution) c.maxResolution = maxResolution;
            if (maxDuration !== null) c.maxDuration = maxDuration;
            return { ...s, caps: c };
          },
          t(locale, 'admin.capsSaved'),
        );
      }
      case 'limits': {
        const member = opt.int(i, 'member_daily');
        const server = opt.int(i, 'server_daily');
        const cooldown = opt.int(i, 'cooldown');
        const set = (v: number | null, old: number | undefined) => (v === null ? old : v === 0 ? undefined : v);
        return change(
          i,
          ctx,
          (s) => ({
            ...s,
            memberDailyLimit: set(member, s.memberDailyLimit),
            serverDailyBudget: set(server, s.serverDailyBudget),
            cooldownSeconds: set(cooldown, s.cooldownSeconds),
          }),
          t(locale, 'admin.limitsSaved'),
        );
      }
      case 'replies': {
        const v = i.options.getString('visibility', true) as GuildSettings['replies'];
        return change(i, ctx, (s) => ({ ...s, replies: v }), t(locale, v === 'private' ? 'admin.repliesPrivate' : 'admin.repliesPublic'));
      }
      case 'off_peak': {
        const policy = i.options.getString('policy', true);
        if (!(OFF_PEAK_POLICIES as readonly string[]).includes(policy)) return; // Discord only sends the choices
        const p = policy as OffPeakPolicy;
        return change(i, ctx, (s) => ({ ...s, offPeak: p }), t(locale, 'admin.offPeakSaved', { policy: t(locale, OFF_PEAK_LABEL[p]) }));
      }
      case 'alerts': {
        const c = i.options.getChannel('channel')?.id;
        return change(
          i,
          ctx,
          (s) => ({ ...s, alertChannelId: c }),
          c ? t(locale, 'admin.alertsChannel', { channel: `<#${c}>` }) : t(locale, 'admin.alertsOwner'),
        );
      }
    }
  },
};
