import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

const TOKEN = 'MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs';
const KEY = 'sk-live-0123456789abcdefghij';
const required = { DISCORD_TOKEN: TOKEN, TOAPIS_API_KEY: KEY };

/** The ConfigError `parseConfig` throws for `env`; fails the test when it does not throw one. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, but the environment was accepted');
}

describe('parseConfig: defaults', () => {
  it('fills every optional variable from the process contract', () => {
    expect(parseConfig(required)).toEqual({
      discordToken: TOKEN,
      toapisApiKey: KEY,
      toapisBaseUrl: 'https://toapis.com',
      discordApiUrl: undefined,
      store: { kind: 'sqlite', file: 'data/vidu.sqlite' },
      logLevel: 'info',
      httpPort: undefined,
      httpHost: '127.0.0.1',
      taskDeadlineMs: 1_800_000,
      rateGroup: 'default',
      webhookSecret: undefined,
      webhookUrl: undefined,
      userMaxInFlight: 3,
      userSubmitsPerMinute: 5,
      subjectSavesPerHour: 10,
      userDailyLimit: undefined,
      dailyBudget: undefined,
      allowDms: true,
      timeScale: 1,
      shards: 'auto',
    });
  });

  it('treats empty and blank strings as unset', () => {
    const config = parseConfig({
      ...required,
      TOAPIS_BASE_URL: '',
      DISCORD_API_URL: '   ',
      STORE_URL: '',
      LOG_LEVEL: '',
      HTTP_PORT: '',
      VIDU_TASK_DEADLINE_S: '',
      VIDU_USER_MAX_IN_FLIGHT: ' ',
    });
    expect(config.toapisBaseUrl).toBe('https://toapis.com');
    expect(config.discordApiUrl).toBeUndefined();
    expect(config.store).toEqual({ kind: 'sqlite', file: 'data/vidu.sqlite' });
    expect(config.logLevel).toBe('info');
    expect(config.httpPort).toBeUndefined();
    expect(config.taskDeadlineMs).toBe(1_800_000);
    expect(config.userMaxInFlight).toBe(3);
  });

  it('ignores variables that are not part of the contract', () => {
    expect(parseConfig({ ...required, PATH: '/usr/bin', HOME: '/root' }).store).toEqual({ kind: 'sqlite', file: 'data/vidu.sqlite' });
  });
});

describe('parseConfig: given values', () => {
  it('reads every variable and converts seconds to ms', () => {
    const config = parseConfig({
      ...required,
      TOAPIS_BASE_URL: 'http://127.0.0.1:4010',
      DISCORD_API_URL: 'http://127.0.0.1:4020/api',
      STORE_URL: 'redis://127.0.0.1:6379/3',
      LOG_LEVEL: 'debug',
      HTTP_PORT: '9090',
      VIDU_TASK_DEADLINE_S: '600',
      TOAPIS_RATE_GROUP: 'vip',
      TOAPIS_WEBHOOK_SECRET: 'whsec-0123456789abcdef0123456789abcdef',
      TOAPIS_WEBHOOK_URL: 'https://bot.example.org/webhooks/toapis',
      VIDU_USER_MAX_IN_FLIGHT: '1',
      VIDU_USER_SUBMITS_PER_MINUTE: '10',
      VIDU_TIME_SCALE: '0.01',
      VIDU_SHARDS: '4',
      VIDU_USER_DAILY_LIMIT: '40',
      VIDU_DAILY_BUDGET: '1000.5',
      VIDU_ALLOW_DMS: 'false',
    });
    expect(config).toEqual({
      discordToken: TOKEN,
      toapisApiKey: KEY,
      toapisBaseUrl: 'http://127.0.0.1:4010',
      discordApiUrl: 'http://127.0.0.1:4020/api',
      store: { kind: 'redis', url: 'redis://127.0.0.1:6379/3' },
      logLevel: 'debug',
      httpPort: 9090,
      httpHost: '127.0.0.1',
      taskDeadlineMs: 600_000,
      rateGroup: 'vip',
      webhookSecret: 'whsec-0123456789abcdef0123456789abcdef',
      webhookUrl: 'https://bot.example.org/webhooks/toapis',
      userMaxInFlight: 1,
      userSubmitsPerMinute: 10,
      subjectSavesPerHour: 10,
      userDailyLimit: 40,
      dailyBudget: 1000.5,
      allowDms: false,
      timeScale: 0.01,
      shards: 4,
    });
  });

  it('trims the required secrets', () => {
    const config = parseConfig({ DISCORD_TOKEN: `  ${TOKEN}\n`, TOAPIS_API_KEY: `\t${KEY} ` });
    expect(config.discordToken).toBe(TOKEN);
    expect(config.toapisApiKey).toBe(KEY);
  });

  it.each([
    ['https://toapis.com/', 'https://toapis.com'],
    ['https://toapis.cn///', 'https://toapis.cn'],
    ['http://127.0.0.1:4010/proxy/', 'http://127.0.0.1:4010/proxy'],
    ['  https://toapis.com/  ', 'https://toapis.com'],
  ])('removes trailing slashes from TOAPIS_BASE_URL %j', (given, expected) => {
    expect(parseConfig({ ...required, TOAPIS_BASE_URL: given }).toapisBaseUrl).toBe(expected);
  });

  it('removes the trailing slash from DISCORD_API_URL', () => {
    expect(parseConfig({ ...required, DISCORD_API_URL: 'http://localhost:3000/api/' }).discordApiUrl).toBe('http://localhost:3000/api');
  });

  it.each([
    ['sqlite://data/vidu.sqlite', { kind: 'sqlite', file: 'data/vidu.sqlite' }],
    ['sqlite:///var/lib/vidu/x.sqlite', { kind: 'sqlite', file: '/var/lib/vidu/x.sqlite' }],
    ['redis://cache:6379/0', { kind: 'redis', url: 'redis://cache:6379/0' }],
    ['rediss://u:p@cache:6380/1', { kind: 'redis', url: 'rediss://u:p@cache:6380/1' }],
  ])('accepts STORE_URL %s, parsed once into its kind', (url, expected) => {
    expect(parseConfig({ ...required, STORE_URL: url }).store).toEqual(expected);
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts LOG_LEVEL %s', (level) => {
    expect(parseConfig({ ...required, LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it('accepts HTTP_PORT 0 (any free port)', () => {
    expect(parseConfig({ ...required, HTTP_PORT: '0' }).httpPort).toBe(0);
  });
});

describe('parseConfig: refusals name the variable in one line', () => {
  it.each([
    ['DISCORD_TOKEN', { TOAPIS_API_KEY: KEY }],
    ['DISCORD_TOKEN', { DISCORD_TOKEN: '', TOAPIS_API_KEY: KEY }],
    ['DISCORD_TOKEN', { DISCORD_TOKEN: '   ', TOAPIS_API_KEY: KEY }],
    ['TOAPIS_API_KEY', { DISCORD_TOKEN: TOKEN }],
    ['TOAPIS_API_KEY', { DISCORD_TOKEN: TOKEN, TOAPIS_API_KEY: '' }],
  ])('missing %s', (name, env) => {
    const err = configError(env);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toBe(`${name} is required`);
    expect(err.message).not.toContain('\n');
  });

  it('names DISCORD_TOKEN first when nothing is set', () => {
    expect(configError({}).message).toBe('DISCORD_TOKEN is required');
  });

  it.each([
    ['STORE_URL', { STORE_URL: 'mysql://x' }],
    ['STORE_URL', { STORE_URL: 'sqlite://' }],
    ['STORE_URL', { STORE_URL: 'data/vidu.sqlite' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'INFO' }],
    ['HTTP_PORT', { HTTP_PORT: 'abc' }],
    ['HTTP_PORT', { HTTP_PORT: '70000' }],
    ['HTTP_PORT', { HTTP_PORT: '80.5' }],
    ['TOAPIS_BASE_URL', { TOAPIS_BASE_URL: 'not a url' }],
    ['DISCORD_API_URL', { DISCORD_API_URL: 'localhost' }],
    ['VIDU_TASK_DEADLINE_S', { VIDU_TASK_DEADLINE_S: '0' }],
    ['VIDU_TASK_DEADLINE_S', { VIDU_TASK_DEADLINE_S: 'soon' }],
    ['TOAPIS_RATE_GROUP', { TOAPIS_RATE_GROUP: 'gold' }],
    ['TOAPIS_RATE_GROUP', { TOAPIS_RATE_GROUP: 'VIP' }],
    ['TOAPIS_WEBHOOK_SECRET', { TOAPIS_WEBHOOK_SECRET: 'short', HTTP_PORT: '8080' }],
    ['TOAPIS_WEBHOOK_URL', { TOAPIS_WEBHOOK_URL: 'http://bot.example.org/webhooks/toapis' }],
    ['TOAPIS_WEBHOOK_URL', { TOAPIS_WEBHOOK_URL: 'not a url' }],
    ['HTTP_PORT', { TOAPIS_WEBHOOK_SECRET: 'whsec-0123456789abcdef0123456789abcdef' }],
    ['VIDU_USER_MAX_IN_FLIGHT', { VIDU_USER_MAX_IN_FLIGHT: '1.5' }],
    ['VIDU_USER_SUBMITS_PER_MINUTE', { VIDU_USER_SUBMITS_PER_MINUTE: '0' }],
    ['VIDU_TIME_SCALE', { VIDU_TIME_SCALE: '2' }],
    ['VIDU_SHARDS', { VIDU_SHARDS: '0' }],
    ['VIDU_SHARDS', { VIDU_SHARDS: 'many' }],
    ['VIDU_USER_DAILY_LIMIT', { VIDU_USER_DAILY_LIMIT: '0' }],
    ['VIDU_USER_DAILY_LIMIT', { VIDU_USER_DAILY_LIMIT: 'lots' }],
    ['VIDU_DAILY_BUDGET', { VIDU_DAILY_BUDGET: '-5' }],
    ['VIDU_ALLOW_DMS', { VIDU_ALLOW_DMS: 'no' }],
    ['VIDU_ALLOW_DMS', { VIDU_ALLOW_DMS: 'FALSE' }],
  ])('invalid %s (%j)', (name, bad) => {
    const err = configError({ ...required, ...bad });
    expect(err.message.startsWith(`${name} `)).toBe(true);
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain(KEY);
  });

  it('says the webhook receiver needs HTTP_PORT, without echoing the secret', () => {
    const secret = 'whsec-0123456789abcdef0123456789abcdef';
    const err = configError({ ...required, TOAPIS_WEBHOOK_SECRET: secret });
    expect(err.message).toBe('HTTP_PORT is required when TOAPIS_WEBHOOK_SECRET is set (POST /webhooks/toapis listens on it)');
    expect(configError({ ...required, TOAPIS_WEBHOOK_SECRET: 'tooShort99', HTTP_PORT: '1' }).message).not.toContain('tooShort99');
  });

  it('no longer knows VIDU_UPSTREAM_MAX_RPS (the documented buckets replace it)', () => {
    expect(parseConfig({ ...required, VIDU_UPSTREAM_MAX_RPS: '-1' })).not.toHaveProperty('upstreamMaxRps');
  });

  it('says what STORE_URL must look like', () => {
    expect(configError({ ...required, STORE_URL: 'mysql://x' }).message).toBe('STORE_URL must be sqlite://path/file.sqlite or redis://host:port/db');
  });

  it('never echoes a secret, even when the secret sits in the variable that is wrong', () => {
    // A token pasted into the wrong variable must not be printed back.
    const err = configError({ ...required, STORE_URL: TOKEN, TOAPIS_BASE_URL: KEY });
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain(KEY);
    const err2 = configError({ ...required, LOG_LEVEL: KEY });
    expect(err2.message.startsWith('LOG_LEVEL ')).toBe(true);
    expect(err2.message).not.toContain(KEY);
  });
});

describe('parseConfig: URL schemes', () => {
  // DESIGN: invalid configuration stops the process at start with one line naming the variable.
  // Only http(s) upstreams: anything else would start the bot and fail at the first request.
  it.each(['ftp://toapis.com', 'javascript:alert(1)', 'file:///etc/passwd'])('refuses TOAPIS_BASE_URL %s, which is not http(s)', (url) => {
    expect(configError({ ...required, TOAPIS_BASE_URL: url }).message.startsWith('TOAPIS_BASE_URL ')).toBe(true);
  });
});

describe('parseConfig: transport security', () => {
  // Our API key is sent to TOAPIS_BASE_URL: plain http would hand it to anyone on the path.
  it.each(['http://toapis.com', 'http://10.0.0.5:8080', 'http://example.localhost.evil.com'])('refuses plain-http TOAPIS_BASE_URL %s', (url) => {
    expect(configError({ ...required, TOAPIS_BASE_URL: url }).message).toBe(
      'TOAPIS_BASE_URL must be an https:// URL (http:// only for localhost, 127.x.x.x or [::1])',
    );
  });

  it.each(['https://toapis.com', 'http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010'])('accepts TOAPIS_BASE_URL %s', (url) => {
    expect(parseConfig({ ...required, TOAPIS_BASE_URL: url }).toapisBaseUrl).toBe(url);
  });

  it('binds the HTTP server to 127.0.0.1 unless HTTP_HOST says otherwise', () => {
    expect(parseConfig(required).httpHost).toBe('127.0.0.1');
    expect(parseConfig({ ...required, HTTP_HOST: '0.0.0.0' }).httpHost).toBe('0.0.0.0');
    expect(parseConfig({ ...required, HTTP_HOST: '::' }).httpHost).toBe('::');
    expect(configError({ ...required, HTTP_HOST: 'a b/c' }).message).toBe('HTTP_HOST must be an IP address or a host name');
  });
});
