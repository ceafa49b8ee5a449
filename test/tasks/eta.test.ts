import { describe, expect, it } from 'vitest';
import { etaText, progressLine } from '../../src/render/render.js';
import { OFF_PEAK_WINDOW_MS, estimateEta, type EtaInput } from '../../src/tasks/eta.js';
import { createDurationHistory } from '../../src/tasks/schedule.js';
import { record } from './records.js';

/** A history learned the way main.ts learns it: ten pro 720p 5 s jobs of 60–150 s, one turbo job. */
function learned() {
  const history = createDurationHistory();
  for (let i = 0; i < 10; i++) history.observe({ model: 'viduq3-pro', resolution: '720p', duration: 5 }, 60_000 + i * 10_000);
  history.observe({ model: 'viduq3-turbo', resolution: '720p', duration: 5 }, 20_000);
  return history;
}
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const pro = learned().estimate({ model: 'viduq3-pro', resolution: '720p', duration: 5 })!;

describe('the learned history the estimator reads', () => {
  it('has a median of the observed jobs of that shape, and nothing for an unseen shape', () => {
    expect(pro.p50Ms).toBe(110_000);
    // Only one turbo sample (below minSamples): it falls back to every job, not to nothing.
    expect(learned().estimate({ model: 'viduq3', resolution: '1080p', duration: 9 })).toBeDefined();
    expect(createDurationHistory().estimate({ model: 'viduq3-pro' })).toBeUndefined();
  });
});

describe('estimateEta (fake clock, learned history)', () => {
  const base: EtaInput = { nowMs: T0, createdAtMs: T0 - 2_000, polls: 0, progress: 0, history: pro };
  it.each<[string, Partial<EtaInput>, ReturnType<typeof estimateEta>]>([
    ['before the submit: what such jobs usually take', { submittedAtMs: undefined }, { kind: 'usual', typicalMs: 110_000 }],
    ['submitted, not looked at yet: still the usual time', { submittedAtMs: T0 - 1_000 }, { kind: 'usual', typicalMs: 110_000 }],
    ['no history and nothing reported: nothing to say', { history: undefined }, undefined],
    // Looked at, queued (0 %), 30 s in: the median is 80 s away (under 2 min: a 10 s step).
    ['queued: submit + median', { submittedAtMs: T0 - 30_000, polls: 1 }, { kind: 'expected', atMs: T0 + 80_000 }],
    ['queued past the median: no guess', { submittedAtMs: T0 - 200_000, polls: 3 }, undefined],
    // 50 % after 60 s: progress says 60 s more, history says 50 s; blended half-half = 55 s → 10 s step.
    ['half done: progress and history blended', { submittedAtMs: T0 - 60_000, polls: 4, progress: 50 }, { kind: 'expected', atMs: T0 + 60_000 }],
    // 90 % after 180 s (slower than history, which has nothing left): 0.9·20 s = 18 s → 20 s.
    ['nearly done, slower than usual: the progress wins', { submittedAtMs: T0 - 180_000, polls: 9, progress: 90 }, { kind: 'expected', atMs: T0 + 20_000 }],
    // 20 % after 40 s: 160 s more; between 2 and 10 min the time is rounded up to 30 s.
    ['progress only, no history', { submittedAtMs: T0 - 40_000, polls: 2, progress: 20, history: undefined }, { kind: 'expected', atMs: T0 + 180_000 }],
    [
      'off-peak: the latest time, from the submit',
      { submittedAtMs: T0 - 10_000, polls: 2, offPeak: true },
      { kind: 'latest', atMs: T0 - 10_000 + OFF_PEAK_WINDOW_MS },
    ],
    ['off-peak before the submit: from the acceptance', { offPeak: true }, { kind: 'latest', atMs: T0 - 2_000 + OFF_PEAK_WINDOW_MS }],
  ])('%s', (_name, patch, expected) => {
    expect(estimateEta({ ...base, ...patch })).toEqual(expected);
  });

  it('never promises a time in the past, and moves later as a slow job drags on', () => {
    let last = 0;
    for (let s = 10; s <= 300; s += 10) {
      const now = T0 + s * 1000;
      const eta = estimateEta({ ...base, nowMs: now, submittedAtMs: T0, polls: s / 10, progress: Math.min(99, s / 4) });
      expect(eta?.kind).toBe('expected');
      const at = (eta as { atMs: number }).atMs;
      expect(at).toBeGreaterThanOrEqual(now);
      if (s > 150) expect(at).toBeGreaterThanOrEqual(last);
      last = at;
    }
  });

  it('rounds so that two looks a few seconds apart show the same time', () => {
    const a = estimateEta({ ...base, submittedAtMs: T0 - 60_000, polls: 4, progress: 10, history: undefined });
    const b = estimateEta({ ...base, nowMs: T0 + 3_000, submittedAtMs: T0 - 60_000, polls: 5, progress: 10.5, history: undefined });
    expect(a).toEqual(b);
  });
});

describe('the ETA on the card', () => {
  it.each([
    [{ kind: 'usual', typicalMs: 95_000 } as const, 'such jobs usually take about 1m 35s'],
    [{ kind: 'expected', atMs: T0 + 60_000 } as const, `expected <t:${(T0 + 60_000) / 1000}:R>`],
    [{ kind: 'latest', atMs: T0 } as const, `off-peak: ready by <t:${T0 / 1000}:f> at the latest`],
  ])('%o reads %s', (eta, text) => {
    expect(etaText(eta)).toBe(text);
  });

  it('is added to the status line of a running job, localized, and left off once it is delivering', () => {
    const running = record({}, { state: 'running', upstream: { taskId: 't', status: 'processing', phase: 'running', progress: 40, submittedAt: T0 } });
    const eta = { kind: 'expected', atMs: T0 + 60_000 } as const;
    expect(progressLine(running, eta)).toBe(`${progressLine(running)} · ${etaText(eta)}`);
    const ja = { ...running, owner: { ...running.owner, locale: 'ja' } };
    expect(progressLine(ja, eta)).toContain(etaText(eta, 'ja'));
    expect(etaText(eta, 'ja')).not.toBe(etaText(eta));
    const delivering = { ...running, state: 'delivering' as const, outcome: { kind: 'video' as const, url: 'https://x.test/v.mp4', completedAt: T0 } };
    expect(progressLine(delivering, eta)).toBe(progressLine(delivering));
  });
});
