/**
 * The bot's own resources: gateway discovery, users, the application and its commands (bulk
 * PUT validated like Discord's, ids kept across PUTs, a new version each time).
 */
import { randomBytes } from 'node:crypto';
import { ApplicationCommandType, ApplicationIntegrationType } from 'discord-api-types/v10';
import { DEFAULT_IDS, rawUser, snowflake } from '../../interactions.js';
import { validateCommands } from '../commands.js';
import { DiscordFailure, errors, type Reply } from '../errors.js';
import { route, type RouteContext, type RouteDef } from '../http.js';
import { DEFAULTS, type DiscordState } from '../state.js';
import type { CommandPutRecord, FakeCommand } from '../types.js';
import { asRecord } from '../util.js';

export function applicationRoutes(s: DiscordState): RouteDef[] {
  return [
    route('GET', '/gateway', 'none', () => ({ status: 200, body: { url: s.gatewayUrl } })),
    route('GET', '/gateway/bot', 'bot', () => ({
      status: 200,
      body: {
        url: s.gatewayUrl,
        shards: s.shardCount,
        session_start_limit: {
          total: 1000,
          remaining: 1000,
          reset_after: 0,
          max_concurrency: s.options.maxConcurrency ?? DEFAULTS.maxConcurrency,
        },
      },
    })),
    route('GET', '/users/@me', 'bot', () => ({ status: 200, body: s.botUser() })),
    route('GET', '/users/:user', 'bot', (ctx) => {
      const user = s.users.get(ctx.params.user ?? '');
      return user ? { status: 200, body: user } : errors.unknownUser();
    }),
    route('GET', '/applications/@me', 'bot', () => ({ status: 200, body: applicationObject(s) })),
    route('GET', '/applications/:app/commands', 'bot', (ctx) => getCommands(s, ctx, null)),
    route('PUT', '/applications/:app/commands', 'bot', (ctx) => putCommands(s, ctx, null)),
    route('GET', '/applications/:app/guilds/:guild/commands', 'bot', (ctx) => getCommands(s, ctx, ctx.params.guild ?? null)),
    route('PUT', '/applications/:app/guilds/:guild/commands', 'bot', (ctx) => putCommands(s, ctx, ctx.params.guild ?? null)),
  ];
}

function applicationObject(s: DiscordState): Record<string, unknown> {
  return {
    id: s.applicationId,
    name: s.botUsername,
    icon: null,
    description: '',
    summary: '',
    type: null,
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: randomBytes(32).toString('hex'),
    flags: 0,
    team: null,
    owner: { ...rawUser({ id: DEFAULT_IDS.userId }) },
    bot: s.botUser(),
    approximate_guild_count: s.guilds.size,
    integration_types_config: { '0': {}, '1': {} },
    install_params: { scopes: ['bot', 'applications.commands'], permissions: '0' },
    redirect_uris: [],
    interactions_endpoint_url: null,
    tags: [],
  };
}

function checkApp(s: DiscordState, ctx: RouteContext): void {
  if (ctx.params.app !== s.applicationId) errors.unknownApplication();
}

function getCommands(s: DiscordState, ctx: RouteContext, guildId: string | null): Reply {
  checkApp(s, ctx);
  if (guildId && !s.guilds.get(guildId)?.botMember) errors.missingAccess();
  return { status: 200, body: s.commands(guildId ?? undefined) };
}

function putCommands(s: DiscordState, ctx: RouteContext, guildId: string | null): Reply {
  const record: CommandPutRecord = { atMs: s.now(), scope: guildId ?? 'global', body: ctx.body, status: 0 };
  s.commandPuts.push(record);
  try {
    checkApp(s, ctx);
    if (guildId && !s.guilds.has(guildId)) errors.unknownChannel();
    validateCommands(ctx.body);
    const previous = s.commands(guildId ?? undefined);
    const stored = (ctx.body as unknown[]).map((raw) => {
      const c = asRecord(raw);
      const type = c.type === undefined ? ApplicationCommandType.ChatInput : Number(c.type);
      const existing = previous.find((p) => p.type === type && p.name === c.name);
      const command: FakeCommand = {
        default_member_permissions: null,
        name_localizations: null,
        description_localizations: null,
        contexts: null,
        integration_types: [ApplicationIntegrationType.GuildInstall],
        nsfw: false,
        ...c,
        id: existing?.id ?? snowflake(),
        application_id: s.applicationId,
        version: snowflake(),
        type,
        name: String(c.name),
        description: typeof c.description === 'string' ? c.description : '',
      };
      if (guildId) command.guild_id = guildId;
      return command;
    });
    if (guildId) s.guildCommands.set(guildId, stored);
    else s.globalCommands.splice(0, s.globalCommands.length, ...stored);
    record.status = 200;
    return { status: 200, body: stored };
  } catch (error) {
    if (error instanceof DiscordFailure) record.status = error.reply.status;
    throw error;
  }
}
