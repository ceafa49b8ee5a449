import { describe, expect, it } from 'vitest';
import { createDurationHistory, nextPollDelayMs, pollHintFor, scaledSchedule, type Phase } from '../../src/tasks/schedule.js';

/**
 * The adaptive policy against a plain 10 s poller, on a simulated upstream (no timers, no
 * network): jobs of 30 s – 5 min (log-uniform), 2–20 s in the queue, and a progress curve the
 * policy does not know (100·f^e, e ∈ [0.7, 1.4]: front- or back-loaded). A look sees the job as
 * finished once its time has come. Counts and delays are simulated milliseconds, so the
 * assertions are exact for the fixed seed.
 */

/** Deterministic uniform [0, 1) (LCG), so every run sees the same jobs and jitter. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Job {
  totalMs: number;
  queuedMs: number;
  exponent: number;
}

function jobs(n: number, random: () => number): Job[] {
  return Array.from({ length: n }, () => {
    const totalMs = Math.exp(Math.log(30_000) + random() * Math.log(10));
    return { totalMs, queuedMs: Math.min(totalMs / 2, 2_000 + random() * 18_000), exponent: 0.7 + random() * 0.7 };
  });
}

/** What the upstream reports at `t` ms after submit: 0 while queued, 1–99 running, 100 done. */
function progressAt(job: Job, t: number): number {
  if (t >= job.totalMs) return 100;
  if (t < job.queuedMs) return 0;
  const f = (t - job.queuedMs) / (job.totalMs - job.queuedMs);
  return Math.max(1, Math.min(99, Math.floor(100 * f ** job.exponent)));
}

const S = scaledSchedule(1);

/** Runs the engine's loop for one job: looks until finished; returns looks, delay, gaps. */
function adaptiveRun(job: Job, random: () => number, history: ReturnType<typeof createDurationHistory>) {
  const request = { model: 'viduq3-turbo', resolution: '720p', duration: 5 };
  // The record as the engine keeps it: progress and updatedAt from the previous look.
  let record = { updatedAt: 0, request, upstream: { progress: 0, submittedAt: 0 } };
  let at = S.firstPollMs;
  const gaps: number[] = [];
  let looks = 0;
  for (;;) {
    looks++;
    const progress = progressAt(job, at);
    if (progress === 100) break;
    const phase: Phase = progress === 0 ? 'queued' : 'running';
    const delay = nextPollDelayMs(phase, S, random, undefined, pollHintFor(record, progress, at, history));
    gaps.push(delay);
    record = { ...record, updatedAt: at, upstream: { ...record.upstream, progress } };
    at += delay;
  }
  history.observe(request, at);
  return { looks, delayMs: at - job.totalMs, gaps };
}

function fixedRun(job: Job, intervalMs: number) {
  const looks = Math.ceil(job.totalMs / intervalMs);
  return { looks, delayMs: looks * intervalMs - job.totalMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('adaptive polling against a fixed 10 s poller (simulated upstream)', () => {
  const random = seeded(20_260_806);
  const workload = jobs(500, random);
  const history = createDurationHistory();
  const adaptive = workload.map((job) => adaptiveRun(job, random, history));
  const fixed = workload.map((job) => fixedRun(job, 10_000));

  it('reads the status fewer times in total', () => {
    const adaptiveLooks = sum(adaptive.map((r) => r.looks));
    const fixedLooks = sum(fixed.map((r) => r.looks));
    expect(fixedLooks).toBe(6_177);
    // 3,859 looks for this seed: 38 % fewer.
    expect(adaptiveLooks).toBeLessThan(fixedLooks * 0.7);
  });

  it('sees the finished video sooner (median) and never far later', () => {
    const adaptiveMedian = median(adaptive.map((r) => r.delayMs));
    const fixedMedian = median(fixed.map((r) => r.delayMs));
    expect(adaptiveMedian).toBeLessThan(fixedMedian);
    // ≈ 2.8 s against ≈ 5.3 s for this seed.
    expect(adaptiveMedian).toBeLessThan(3_500);
    expect(fixedMedian).toBeGreaterThan(5_000);
    // No look is ever later than the longest gap after the finish.
    expect(Math.max(...adaptive.map((r) => r.delayMs))).toBeLessThanOrEqual(S.adaptiveMaxMs);
  });

  it('keeps the upstream guidance: every gap ≥ 5 s and ≤ the longest gap', () => {
    const gaps = adaptive.flatMap((r) => r.gaps);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(S.adaptiveMaxMs);
  });

  it('learns: with history, a job that is still queued is looked at later than the blind window', () => {
    const estimate = history.estimate({ model: 'viduq3-turbo', resolution: '720p', duration: 5 })!;
    expect(estimate.samples).toBe(100);
    const record = { updatedAt: 0, request: { model: 'viduq3-turbo', resolution: '720p', duration: 5 }, upstream: { progress: 0, submittedAt: 0 } };
    const withHistory = nextPollDelayMs('queued', S, () => 0.5, undefined, pollHintFor(record, 0, 5_000, history));
    const blind = nextPollDelayMs('queued', S, () => 0.5, undefined, pollHintFor(record, 0, 5_000));
    expect(blind).toBe(7_500);
    expect(withHistory).toBe(Math.max(5_000, Math.min(S.adaptiveMaxMs, Math.round((estimate.p10Ms - 5_000) * 0.5))));
    expect(withHistory).toBeGreaterThan(blind);
  });
});
