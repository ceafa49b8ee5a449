/**
 * `npm run commands:deploy [-- --guild <id>]`: forced slash-command registration. Reads
 * DISCORD_TOKEN (and DISCORD_API_URL, if set) from the environment like the bot does.
 */
import { parseArgs } from 'node:util';
import { REST } from 'discord.js';
import { z } from 'zod';
import { COMMANDS } from '../commands/index.js';
import { deployCommands } from './discord/deploy.js';

const Env = z.object({ DISCORD_TOKEN: z.string().min(1), DISCORD_API_URL: z.url().optional() });
const Args = z.object({
  guild: z
    .string()
    .regex(/^\d{17,20}$/, 'must be a guild id (snowflake)')
    .optional(),
});

const env = Env.safeParse(process.env);
const args = Args.safeParse(parseArgs({ options: { guild: { type: 'string' } } }).values);
if (!env.success || !args.success) {
  const issues = [...(env.error?.issues ?? []), ...(args.error?.issues ?? [])];
  console.error(`commands:deploy: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  process.exit(2);
}
const rest = new REST({ ...(env.data.DISCORD_API_URL ? { api: env.data.DISCORD_API_URL } : {}) }).setToken(env.data.DISCORD_TOKEN);
const count = await deployCommands({ rest, commands: COMMANDS, ...(args.data.guild ? { guildId: args.data.guild } : {}) });
console.log(`commands:deploy: ${count} commands registered ${args.data.guild ? `in guild ${args.data.guild}` : 'globally'}`);
