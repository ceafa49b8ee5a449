import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { deployCommands } from '../../src/discord/deploy.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.js';

const BOT_TOKEN = 'TEST-deploy-token';

describe('deployCommands (npm run commands:deploy)', () => {
  let fake: FakeDiscord;
  let rest: REST;
  beforeAll(async () => {
    fake = await startFakeDiscord({ botToken: BOT_TOKEN });
    rest = new REST({ api: fake.apiUrl }).setToken(BOT_TOKEN);
  });
  afterAll(async () => {
    await fake.close();
  });

  it('--guild registers every command in that guild only', async () => {
    const guildId = fake.defaultGuildId;
    const count = await deployCommands({ rest, commands: COMMANDS, guildId });
    expect(count).toBe(COMMANDS.length);
    expect(
      fake
        .commands(guildId)
        .map((c) => c.name)
        .sort(),
    ).toEqual(COMMANDS.map((c) => c.data.name).sort());
    expect(fake.commands()).toEqual([]);
  });

  it('without --guild it registers globally, again each time (forced)', async () => {
    await deployCommands({ rest, commands: COMMANDS });
    await deployCommands({ rest, commands: COMMANDS });
    expect(
      fake
        .commands()
        .map((c) => c.name)
        .sort(),
    ).toEqual(COMMANDS.map((c) => c.data.name).sort());
    expect(fake.calls.filter((c) => c.method === 'PUT' && c.path.endsWith('/commands') && !c.path.includes('/guilds/'))).toHaveLength(2);
  });
});
