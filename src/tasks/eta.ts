/**
 * When a job's video is expected — pure, table-tested (test/tasks/eta.test.ts).
 *
 * Evidence, strongest last: what past jobs of the same shape took (the learned
 * {@link DurationEstimate} of src/tasks/schedule.ts), then the progress the upstream reports.
 * Off-peak jobs (`/vidu off_peak`) are made "within 48 h" (DESIGN contract additions), so they
 * show that latest time instead of a guess.
 */
import type { TaskRecord } from './record.js';
import type { DurationEstimate } from './schedule.js';

/** The upstream promises an off-peak video within this long of the submit, ms (48 h). */
export const OFF_PEAK_WINDOW_MS = 48 * 60 * 60 * 1000;

/** What the progress card says about the finish. */
export type Eta =
  /** Not looked at yet: what such jobs usually take (the median), ms. */
  | { kind: 'usual'; typicalMs: number }
  /** Expected at this time (ms since epoch), rounded so the card is not edited for every second. */
  | { kind: 'expected'; atMs: number }
  /** Off-peak: ready by this time at the latest (ms since epoch). */
  | { kind: 'latest'; atMs: number };

export interface EtaInput {
  /** Now, ms since epoch. */
  nowMs: number;
  /** When the job was accepted, ms since epoch. */
  createdAtMs: number;
  /** When the upstream accepted the submit, ms since epoch; absent before the submit. */
  submittedAtMs?: number;
  /** Status reads so far; 0 = not looked at yet. */
  polls: number;
  /** Progress the upstream last reported, 0–100. */
  progress: number;
  /** What finished jobs of this model, resolution and length took from submit to result. */
  history?: DurationEstimate;
  offPeak?: boolean;
}

/** Rounds `atMs` up to a step that grows with the distance: 10 s within 2 min, 30 s within 10 min, else 1 min. */
function roundAt(atMs: number, nowMs: number): number {
  const remaining = atMs - nowMs;
  const step = remaining < 120_000 ? 10_000 : remaining < 600_000 ? 30_000 : 60_000;
  return Math.ceil(atMs / step) * step;
}

/**
 * The ETA to show, or `undefined` when nothing useful is known (no history and no progress yet,
 * or a job already past what such jobs take with no progress reported).
 *
 * - Off-peak: `latest` = submit (or acceptance, before the submit) + {@link OFF_PEAK_WINDOW_MS}.
 * - Before the first status read: `usual` = the history's median.
 * - With progress p > 0: the remaining time by average speed since submit,
 *   `elapsed × (100 − p) / p`, blended with what the history leaves (`median − elapsed`), the
 *   progress weighing p / 100 — early percentages are noisy, late ones are not.
 * - Without progress: submit + the history's median while that is still ahead.
 */
export function estimateEta(input: EtaInput): Eta | undefined {
  const { nowMs, history } = input;
  if (input.offPeak) return { kind: 'latest', atMs: (input.submittedAtMs ?? input.createdAtMs) + OFF_PEAK_WINDOW_MS };
  if (input.submittedAtMs === undefined || input.polls === 0) {
    return history ? { kind: 'usual', typicalMs: history.p50Ms } : undefined;
  }
  const elapsedMs = Math.max(0, nowMs - input.submittedAtMs);
  const p = Math.min(99, Math.max(0, input.progress));
  const fromHistory = history ? Math.max(0, history.p50Ms - elapsedMs) : undefined;
  let remainingMs: number;
  if (p > 0 && elapsedMs > 0) {
    const fromProgress = (elapsedMs * (100 - p)) / p;
    const w = p / 100;
    remainingMs = fromHistory === undefined ? fromProgress : w * fromProgress + (1 - w) * fromHistory;
  } else if (fromHistory !== undefined && fromHistory > 0) {
    remainingMs = fromHistory;
  } else {
    return undefined;
  }
  return { kind: 'expected', atMs: roundAt(nowMs + remainingMs, nowMs) };
}

/** The request's off-peak flag, when the request carries one (`/vidu off_peak`, contract additions). */
function isOffPeak(request: TaskRecord['request']): boolean {
  const r = request as { offPeak?: unknown; metadata?: { off_peak?: unknown } };
  return r.offPeak === true || r.metadata?.off_peak === true;
}

/** {@link estimateEta} of a stored job at `nowMs`, with what jobs of its shape took (`history`). */
export function etaOf(record: Pick<TaskRecord, 'createdAt' | 'upstream' | 'polls' | 'request'>, nowMs: number, history?: DurationEstimate): Eta | undefined {
  return estimateEta({
    nowMs,
    createdAtMs: record.createdAt,
    ...(record.upstream ? { submittedAtMs: record.upstream.submittedAt, progress: record.upstream.progress } : { progress: 0 }),
    polls: record.polls,
    ...(history ? { history } : {}),
    offPeak: isOffPeak(record.request),
  });
}
