/**
 * Phase F of `npm run bench`: re-encoding an 8 s 1080p clip to fit 10 MiB and 1 MiB
 * (src/media/fit.ts), in this process as the bot runs it. Measures wall time, the peak memory
 * of ffmpeg and of this process, and this process's event-loop delay while ffmpeg works
 * (the bot must keep answering Discord during an encode).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFitter } from '../src/media/fit.js';
import { clipArgs } from '../test/support/videos.js';
import { procMemory, resetPeakRss } from './lib.js';

const MIB = 1024 * 1024;
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** Direct children of this process (ffmpeg runs as one: setpriv and nice exec into it). */
function children(): number[] {
  try {
    return readdirSync(`/proc/${process.pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** An 8 s (or 2 s) 1080p24 clip with noise (real footage is noisy; a clean pattern compresses to nothing). */
function makeClip(path: string, durationS: number): void {
  execFileSync('ffmpeg', clipArgs(path, { width: 1920, height: 1080, fps: 24, durationS, qp: 16, noise: 6 }));
}

/** Runs the encode phase in `work` (a temp dir); `quick` uses a 2 s clip. */
export async function phaseEncode(work: string, quick: boolean, log: (msg: string) => void) {
  const durationS = quick ? 2 : 8;
  const input = join(work, 'encode-source.mp4');
  log(`F: making a ${durationS} s 1080p clip`);
  makeClip(input, durationS);
  const sourceBytes = statSync(input).size;
  const fitter = createFitter();
  // The same timer with no encode running: on a shared machine, delay comes from other load too.
  const idle = monitorEventLoopDelay({ resolution: 10 });
  const idleTimer = setInterval(() => procMemory(process.pid), 50);
  idle.enable();
  await new Promise((r) => setTimeout(r, quick ? 2_000 : 10_000));
  idle.disable();
  clearInterval(idleTimer);
  const idleLoop = { p99Ms: round(idle.percentile(99) / 1e6), maxMs: round(idle.max / 1e6) };
  const runs = [];
  for (const limitMiB of [10, 1]) {
    log(`F: fitting ${round(sourceBytes / MIB)} MiB into ${limitMiB} MiB`);
    const output = join(work, `encode-${limitMiB}.mp4`);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const resetOk = resetPeakRss(process.pid);
    const baseRss = procMemory(process.pid).rss;
    let ffmpegPeak = 0;
    let selfMax = baseRss;
    // Sampling on a timer is itself what the event-loop histogram watches: a blocked loop shows.
    const sampler = setInterval(() => {
      selfMax = Math.max(selfMax, procMemory(process.pid).rss);
      for (const pid of children()) {
        try {
          const { peak } = procMemory(pid);
          // NaN while the child is still exec-ing (setpriv → nice → ffmpeg) or already a zombie.
          if (Number.isFinite(peak)) ffmpegPeak = Math.max(ffmpegPeak, peak);
        } catch {
          // exited between listing and reading
        }
      }
    }, 50);
    loop.enable();
    const began = performance.now();
    const result = await fitter.fit({ input, output, limitBytes: limitMiB * MIB });
    const wallS = (performance.now() - began) / 1000;
    loop.disable();
    clearInterval(sampler);
    const selfPeak = resetOk ? Math.max(procMemory(process.pid).peak, selfMax) : selfMax;
    runs.push({
      limitMiB,
      result: result.kind,
      outputMiB: result.kind === 'fitted' ? round(result.sizeBytes / MIB, 2) : null,
      resolution: result.kind === 'fitted' ? `${result.plan.width}x${result.plan.height}` : null,
      videoKbps: result.kind === 'fitted' ? Math.round(result.plan.videoBps / 1000) : null,
      attempts: result.kind === 'fitted' ? result.attempts : null,
      wallS: round(wallS),
      ffmpegPeakRssMiB: round(ffmpegPeak / MIB),
      botPeakAboveIdleMiB: round((selfPeak - baseRss) / MIB),
      eventLoopP99Ms: round(loop.percentile(99) / 1e6),
      eventLoopMaxMs: round(loop.max / 1e6),
    });
  }
  return {
    clip: `${durationS} s 1920x1080 24 fps + AAC`,
    sourceMiB: round(sourceBytes / MIB, 1),
    loadAverage: os.loadavg().map((x) => round(x)),
    idleLoop,
    runs,
  };
}

/** Table rows for bench/run.ts. */
export function encodeRows(r: Awaited<ReturnType<typeof phaseEncode>>): [string, string, string][] {
  const rows: [string, string, string][] = [
    [
      'F event-loop delay p99 with no encode (machine load)',
      `${r.idleLoop.p99Ms} ms (max ${r.idleLoop.maxMs}); load average ${r.loadAverage.join(' ')}`,
      'baseline',
    ],
  ];
  return rows.concat(
    r.runs.map((x): [string, string, string] => [
      `F encode ${r.sourceMiB} MiB ${r.clip.split(' ').slice(0, 3).join(' ')} → ${x.limitMiB} MiB`,
      `${x.result} ${x.outputMiB ?? '-'} MiB at ${x.resolution ?? '-'}, ${x.wallS} s; ffmpeg peak ${x.ffmpegPeakRssMiB} MiB, bot +${x.botPeakAboveIdleMiB} MiB; loop p99 ${x.eventLoopP99Ms} ms (max ${x.eventLoopMaxMs})`,
      'fits; loop p99 < 50 ms',
    ]),
  );
}
