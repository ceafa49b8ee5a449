import { buildGenerationRequest, type RawVideoOptions } from '../../src/generation/request.js';
import { newTaskRecord, type AcceptedInteraction } from '../../src/tasks/accept.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { SCHEDULE_DEFAULTS, snowflakeTime } from '../../src/tasks/schedule.js';

/** Discord's docs example snowflake: created at 1462015105796 (2016-04-30T11:18:25.796Z). */
export const INTERACTION_ID = '175928847299117063';
export const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246MTc1OTI4ODQ3Mjk5MTE3MDYzOnNlY3JldA';

let counter = 0;

/** A fresh snowflake-shaped id (valid for `snowflakeTime`), unique within the process. */
export function snowflake(atMs = Date.now()): string {
  counter = (counter + 1) % 4096;
  return String(((BigInt(atMs) - 1_420_070_400_000n) << 22n) | BigInt(counter) | (BigInt(process.pid % 1024) << 12n));
}

export function interaction(overrides: Partial<AcceptedInteraction> = {}): AcceptedInteraction {
  return {
    id: INTERACTION_ID,
    applicationId: '111111111111111111',
    token: INTERACTION_TOKEN,
    userId: '222222222222222222',
    guildId: '333333333333333333',
    channelId: '444444444444444444',
    locale: 'en-US',
    attachmentSizeLimit: 10 * 1024 * 1024,
    messageId: '555555555555555555',
    ephemeral: false,
    ...overrides,
  };
}

export function rawOptions(overrides: Partial<RawVideoOptions> = {}): RawVideoOptions {
  return { prompt: 'a red fox running through snow', images: [], ...overrides };
}

/** A valid accepted record built the way the /vidu command builds one. */
export function record(
  opts: { interaction?: Partial<AcceptedInteraction>; raw?: Partial<RawVideoOptions>; now?: number } = {},
  patch: Partial<TaskRecord> = {},
): TaskRecord {
  const i = interaction(opts.interaction);
  const request = buildGenerationRequest(rawOptions({ seed: 42, ...opts.raw }), { random: () => 0.5 });
  const now = opts.now ?? snowflakeTime(i.id) + 1_000;
  return { ...newTaskRecord(i, request, { now, tokenMarginMs: SCHEDULE_DEFAULTS.tokenMarginMs }), ...patch };
}
