import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { startShards } from '../../src/shard.js';

const required = { DISCORD_TOKEN: 'MTEST0123456789.Gabcde.fakeBotTokenForTests', TOAPIS_API_KEY: 'sk-test-key-0123456789' };

describe('VIDU_SHARDS and VIDU_SHARD_IDS', () => {
  it.each([
    ['0', [0]],
    ['0-3,8', [0, 1, 2, 3, 8]],
    ['5,1-2,2', [1, 2, 5]],
  ])('VIDU_SHARD_IDS=%s → %j', (value, ids) => {
    expect(parseConfig({ ...required, VIDU_SHARDS: '16', VIDU_SHARD_IDS: value }).shardIds).toEqual(ids);
  });

  it('runs every shard when VIDU_SHARD_IDS is unset', () => {
    expect(parseConfig(required).shardIds).toBeUndefined();
  });

  it.each(['a', '1-', '-1', '1,,2', '1 2'])('refuses VIDU_SHARD_IDS=%j in one line naming it', (value) => {
    expect(() => parseConfig({ ...required, VIDU_SHARD_IDS: value })).toThrow(ConfigError);
    expect(() => parseConfig({ ...required, VIDU_SHARD_IDS: value })).toThrow(/^VIDU_SHARD_IDS must list shard ids like 0-3,8$/);
  });

  it('a machine running some shards must be told how many there are, and only ids below that', async () => {
    await expect(startShards({ ...required, VIDU_SHARD_IDS: '0-1', LOG_LEVEL: 'silent' })).rejects.toThrow(
      'VIDU_SHARDS must be a number when VIDU_SHARD_IDS is set (every machine must agree on it)',
    );
    await expect(startShards({ ...required, VIDU_SHARDS: '2', VIDU_SHARD_IDS: '1-2', LOG_LEVEL: 'silent' })).rejects.toThrow(
      'VIDU_SHARD_IDS names a shard ≥ VIDU_SHARDS (2)',
    );
  });
});
