import { readdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPP_LADDER, EncodeTimeoutError, EncoderBusyError, MIN_VIDEO_BPS, ProbeError, createFitter, planEncode } from '../../src/media/fit.js';
import { isFaststart, makeClip, probeFile } from '../support/videos.js';

const MiB = 1024 * 1024;
let dir: string;
let big: string;
let bigBytes: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vidu-fit-'));
  big = join(dir, 'big.mp4');
  // 1080p with noise at a low quantiser: well over 10 MiB in 2 s (short, low fps: shared machine).
  await makeClip(big, { durationS: 2, fps: 8, noise: 8, qp: 14 });
  bigBytes = (await stat(big)).size;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('planEncode', () => {
  const src = { width: 1920, height: 1080, fps: 24, hasAudio: true, durationS: 8 };

  it('keeps the source resolution when the budget is generous', () => {
    const plan = planEncode({ ...src, budgetBytes: 50 * MiB })!;
    expect([plan.width, plan.height]).toEqual([1920, 1080]);
    expect(plan.videoBps + plan.audioBps).toBeLessThanOrEqual((50 * MiB * 8) / 8);
  });

  it('steps down the ladder as the budget shrinks, and every rung meets its bits-per-pixel threshold', () => {
    let previous = Infinity;
    for (const budget of [20, 10, 5, 2, 1, 0.5].map((m) => m * MiB)) {
      const plan = planEncode({ ...src, budgetBytes: budget });
      if (!plan) continue;
      expect(plan.height).toBeLessThanOrEqual(previous);
      previous = plan.height;
      const rung = BPP_LADDER.find((r) => r.shortSide === plan.height)!;
      expect(plan.videoBps / (plan.width * plan.height * plan.fps)).toBeGreaterThanOrEqual(rung.minBpp);
      // The total stays inside the budget.
      expect(((plan.videoBps + plan.audioBps) * src.durationS) / 8).toBeLessThan(budget);
    }
    expect(previous).toBeLessThan(1080);
  });

  it('keeps portrait videos portrait, with even dimensions', () => {
    const plan = planEncode({ ...src, width: 1080, height: 1920, budgetBytes: 3 * MiB })!;
    expect(plan.height).toBeGreaterThan(plan.width);
    expect(plan.width % 2).toBe(0);
    expect(plan.height % 2).toBe(0);
  });

  it('refuses a budget that would need less than the last rung or an absurd bitrate', () => {
    expect(planEncode({ ...src, budgetBytes: 64 * 1024 })).toBeUndefined();
    expect(planEncode({ ...src, durationS: 16, budgetBytes: (MIN_VIDEO_BPS * 16) / 8 })).toBeUndefined();
  });

  it('caps the frame rate at 30', () => {
    expect(planEncode({ ...src, fps: 60, budgetBytes: 20 * MiB })!.fps).toBe(30);
  });
});

describe('fit', () => {
  // 10 MiB is proven end to end (test/e2e/fit.test.ts); one encode here keeps the suite light.
  for (const limit of [1 * MiB]) {
    it(`fits a big 1080p clip into ${limit / MiB} MiB, playable inline`, async () => {
      expect(bigBytes).toBeGreaterThan(limit);
      const output = join(dir, `fit-${limit}.mp4`);
      const fitter = createFitter();
      const result = await fitter.fit({ input: big, output, limitBytes: limit });
      expect(result.kind).toBe('fitted');
      const size = (await stat(output)).size;
      expect(size).toBeLessThanOrEqual(limit);
      if (result.kind === 'fitted') expect(result.sizeBytes).toBe(size);
      const probed = await probeFile(output);
      expect(probed.video).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p' });
      expect(probed.audio?.codec).toBe('aac');
      const source = await probeFile(big);
      expect(Math.abs(probed.durationS - source.durationS)).toBeLessThanOrEqual(0.35);
      expect(await isFaststart(output)).toBe(true);
    }, 120_000);
  }

  it('says cannot_fit (and leaves no output) when the limit is absurdly small', async () => {
    const output = join(dir, 'tiny.mp4');
    const result = await createFitter().fit({ input: big, output, limitBytes: 20 * 1024 });
    expect(result).toMatchObject({ kind: 'cannot_fit', reason: 'too_small' });
    await expect(stat(output)).rejects.toThrow();
  });

  it('refuses a file that is not an mp4, with a typed error and no output', async () => {
    const input = join(dir, 'not-video.mp4');
    await writeFile(input, 'this is not a video');
    const output = join(dir, 'not-video.out.mp4');
    await expect(createFitter().fit({ input, output, limitBytes: MiB })).rejects.toBeInstanceOf(ProbeError);
    await expect(stat(output)).rejects.toThrow();
  });

  it('refuses other container formats even when ffmpeg could read them (input format pinned)', async () => {
    const input = join(dir, 'clip.mkv.mp4');
    const { execFile } = await import('node:child_process');
    await new Promise<void>((resolve, reject) =>
      execFile('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=5:duration=1', '-f', 'matroska', input], (e) => {
        if (e) reject(new Error('ffmpeg could not make the test file', { cause: e }));
        else resolve();
      }),
    );
    await expect(createFitter().probe(input)).rejects.toBeInstanceOf(ProbeError);
  });

  it('kills ffmpeg at the timeout and removes the partial output', async () => {
    const output = join(dir, 'timeout.mp4');
    const fitter = createFitter({ timeoutMs: 1_500 });
    // The probe is fast; the 1080p encode is not.
    const err = await fitter.fit({ input: big, output, limitBytes: 10 * MiB }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncodeTimeoutError);
    await expect(stat(output)).rejects.toThrow();
  }, 30_000);

  it('stops on abort, removes the partial output, and frees its slot', async () => {
    const output = join(dir, 'abort.mp4');
    let active = 0;
    let peak = 0;
    const fitter = createFitter({
      concurrency: 1,
      onActivity: (n) => {
        active = n;
        peak = Math.max(peak, n);
      },
    });
    const ac = new AbortController();
    const running = fitter.fit({ input: big, output, limitBytes: 10 * MiB, signal: ac.signal }).catch((e: unknown) => e);
    // A second job queued behind the first, aborted while it waits.
    const ac2 = new AbortController();
    const queued = fitter.fit({ input: big, output: join(dir, 'abort2.mp4'), limitBytes: 10 * MiB, signal: ac2.signal }).catch((e: unknown) => e);
    ac2.abort(new Error('queued job cancelled'));
    expect(((await queued) as Error).message).toBe('queued job cancelled');
    await waitFor(async () => (await readdir(dir)).includes('abort.mp4'), 20_000);
    ac.abort(new Error('cancelled'));
    expect(((await running) as Error).message).toBe('cancelled');
    await expect(stat(output)).rejects.toThrow();
    expect(active).toBe(0);
    expect(peak).toBe(1);
  }, 60_000);

  it('refuses an encode when `maxQueued` are already waiting (typed), and still runs the others', async () => {
    const small = join(dir, 'small-q.mp4');
    await makeClip(small, { width: 320, height: 180, durationS: 1, fps: 4 });
    const fitter = createFitter({ concurrency: 1, maxQueued: 1 });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => fitter.fit({ input: small, output: join(dir, `q${i}.mp4`), limitBytes: 100 * 1024 })));
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(EncoderBusyError);
    await expect(stat(join(dir, 'q3.mp4'))).rejects.toThrow();
  }, 60_000);

  it('runs at most `concurrency` encodes at once', async () => {
    const small = join(dir, 'small.mp4');
    await makeClip(small, { width: 640, height: 360, durationS: 1, fps: 6 });
    let peak = 0;
    const fitter = createFitter({ concurrency: 1, onActivity: (n) => void (peak = Math.max(peak, n)) });
    const results = await Promise.all([1, 2, 3].map((i) => fitter.fit({ input: small, output: join(dir, `c${i}.mp4`), limitBytes: 200 * 1024 })));
    expect(results.map((r) => r.kind)).toEqual(['fitted', 'fitted', 'fitted']);
    expect(peak).toBe(1);
  }, 60_000);
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
