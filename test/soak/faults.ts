/**
 * Seeded fault plans of the soak (`npm run soak`): what goes wrong at each boundary, and how
 * often. Pure: a plan is a function of a random source, so a seed replays the same mix.
 */
import type { FakeFault, FakePath } from '../fakes/toapis.js';

/** A uniform [0, 1) source (bench/lib.ts `seeded`). */
export type Random = () => number;

/** Counts of every fault applied, by boundary and kind (printed and written to the JSON). */
export type FaultCounts = Record<string, number>;

export function bump(counts: FaultCounts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Probability of each upstream fault per request, by endpoint (scaled by `--fault-rate`). */
const UPSTREAM: Record<FakePath, [number, string, FakeFault][]> = {
  submit: [
    [0.03, '500', { status: 500 }],
    [0.02, '503', { status: 503 }],
    [0.03, '429', { status: 429, retryAfter: '1' }],
    // The submit reached toapis and created the task, but the answer never arrived.
    [0.02, 'lost-answer', { afterCommit: 'reset' }],
    [0.01, 'timeout', { hang: true }],
  ],
  status: [
    [0.03, '500', { status: 500 }],
    [0.02, '502', { status: 502 }],
    [0.03, '429', { status: 429, retryAfter: '1' }],
    [0.01, 'timeout', { hang: true }],
    [0.01, 'reset', { reset: true }],
    [0.01, 'malformed', { malformed: true }],
  ],
  upload: [
    [0.03, '500', { status: 500 }],
    [0.01, 'reset', { reset: true }],
    [0.01, 'timeout', { hang: true }],
  ],
  video: [
    [0.04, 'truncated', { truncateVideo: true }],
    [0.015, 'timeout', { hang: true }],
    [0.02, '503', { status: 503 }],
  ],
  balance: [],
};

/** The fake toapis `chaos` hook: one seeded draw per request that no scripted rule matched. */
export function upstreamChaos(random: Random, rate: number, counts: FaultCounts): (path: FakePath) => FakeFault | undefined {
  return (path) => {
    let r = random();
    for (const [p, name, fault] of UPSTREAM[path]) {
      r -= p * rate;
      if (r < 0) {
        bump(counts, `toapis.${path}.${name}`);
        return fault;
      }
    }
    return undefined;
  };
}

/** A Discord fault the soak applies through the fake's documented hooks. */
export type DiscordFault =
  | { kind: '5xx'; spec: { pathIncludes: string; status: number } }
  | { kind: '429'; spec: { pathIncludes: string; status: 429; headers: Record<string, string>; body: unknown } }
  /** 50027: the interaction token of a job in flight stops working (fake `expireToken`). */
  | { kind: '50027' }
  /** 10008: a moderator deletes the reply of a job in flight (fake `deleteMessage`). */
  | { kind: '10008' };

/** One Discord fault, drawn every tick of the soak's fault clock. */
export function drawDiscordFault(random: Random): DiscordFault {
  const r = random();
  if (r < 0.45) return { kind: '5xx', spec: { pathIncludes: '/messages/', status: random() < 0.5 ? 500 : 503 } };
  if (r < 0.8) {
    return {
      kind: '429',
      spec: {
        pathIncludes: '/messages/',
        status: 429,
        headers: { 'retry-after': '1', 'x-ratelimit-scope': 'user' },
        body: { message: 'You are being rate limited.', retry_after: 0.4, global: false },
      },
    };
  }
  return r < 0.9 ? { kind: '50027' } : { kind: '10008' };
}

/** Webhook-event faults (lost, late, duplicated), decided once per final event the fake toapis sends. */
export interface WebhookChaos {
  /** For one event about to be sent: drop it, delay it (ms), or send it twice. */
  decide(): { lose: boolean; delayMs: number; duplicate: boolean };
}

export function webhookChaos(random: Random, rate: number, counts: FaultCounts): WebhookChaos {
  return {
    decide() {
      const lose = random() < 0.1 * rate;
      const duplicate = !lose && random() < 0.1 * rate;
      const delayMs = !lose && random() < 0.2 * rate ? Math.round(200 + random() * 3_000) : 0;
      if (lose) bump(counts, 'webhook.lost');
      if (duplicate) bump(counts, 'webhook.duplicated');
      if (delayMs > 0) bump(counts, 'webhook.late');
      return { lose, delayMs, duplicate };
    },
  };
}
