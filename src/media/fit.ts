/**
 * Re-encodes an mp4 so it fits a byte limit (Discord's upload limit) and still plays inline in
 * every Discord client: H.264 High in yuv420p, AAC-LC, `+faststart` (the `moov` atom first).
 *
 * Everything heavy runs in ffmpeg/ffprobe child processes at a lower CPU priority (`nice`),
 * at most `concurrency` at a time, each with a timeout that kills it; files are streamed by
 * ffmpeg from disk to disk, never read into this process. The output path is removed on every
 * path that does not return `fitted` (failure, timeout, abort, cannot fit).
 */
import { spawn } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { z } from 'zod';

/** Only these demuxers may open the input (an mp4 from the upstream), whatever its bytes claim. */
const INPUT_FORMAT = 'mov,mp4,m4a,3gp,3g2,mj2';
/** ffmpeg may open local files only: no http, concat, subfile… tricks from inside a crafted mp4. */
const PROTOCOLS = 'file';

/** Defaults of the optional {@link FitterOptions}. */
export const FIT_DEFAULTS = {
  /** Encodes running at once. */
  concurrency: 1,
  /**
   * Encodes waiting for a slot; more are refused ({@link EncoderBusyError}) so waiting jobs never
   * hold all of the scheduler's step slots (the caller links the video instead).
   */
  maxQueued: 3,
  /** One ffmpeg/ffprobe run is killed after this long, ms (an 8 s 1080p encode took 4.5 min on a loaded 2-core box). */
  timeoutMs: 10 * 60_000,
  /** `nice` increment of the children (0 = same priority as the bot). */
  niceness: 10,
  /** libx264 preset: speed over a few percent of quality; the size is set by the bitrate anyway. */
  preset: 'veryfast',
  /** Encoder threads per run (the bot shares its cores with the rest of the process). */
  threads: 2,
} as const;

/**
 * Resolution ladder (the short side, in pixels) with the least bits per pixel per frame each
 * rung needs to look acceptable with x264 at this preset. Larger frames hide artefacts better,
 * so they need fewer bits per pixel. The encoder takes the largest rung, no larger than the
 * source, whose threshold the budget meets; below the last rung the video cannot reasonably fit.
 */
export const BPP_LADDER: readonly { shortSide: number; minBpp: number }[] = [
  { shortSide: 1080, minBpp: 0.05 },
  { shortSide: 720, minBpp: 0.06 },
  { shortSide: 540, minBpp: 0.07 },
  { shortSide: 480, minBpp: 0.075 },
  { shortSide: 360, minBpp: 0.08 },
  { shortSide: 240, minBpp: 0.04 },
];

/** Below this video bitrate (bits/s) nothing is worth showing, whatever the resolution. */
export const MIN_VIDEO_BPS = 100_000;
/** The first encode aims at this share of the budget (ABR overshoots a little). */
const FIRST_TARGET_SHARE = 0.92;
/** mp4 container cost: a share of the payload plus a fixed amount for `moov` and headers. */
const CONTAINER_SHARE = 0.02;
const CONTAINER_FIXED_BYTES = 32 * 1024;
/** Frame rate cap of the output, fps. */
const MAX_FPS = 30;

/** What ffprobe says about an mp4. */
export interface MediaInfo {
  durationS: number;
  sizeBytes: number;
  video?: { codec: string; width: number; height: number; pixFmt: string | undefined; fps: number };
  audio?: { codec: string };
}

/** How an encode was set up; reported with the result (and on the card as sizes). */
export interface EncodePlan {
  width: number;
  height: number;
  fps: number;
  videoBps: number;
  audioBps: number;
}

/** The result of {@link Fitter.fit}. `cannot_fit`: the caller should post a link instead. */
export type FitResult =
  | { kind: 'fitted'; sizeBytes: number; plan: EncodePlan; attempts: number }
  | {
      kind: 'cannot_fit';
      /** `too_small`: the budget is below what any rung needs; `still_too_large`: both encodes overshot. */
      reason: 'too_small' | 'still_too_large';
      /** Size of the last attempt, bytes (for `still_too_large`). */
      lastSizeBytes?: number;
    };

/** Root of every failure of the encoder (not of "cannot fit", which is a result). */
export class EncodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** ffprobe could not read the input, or it has no video stream. */
export class ProbeError extends EncodeError {}

/** ffmpeg exited non-zero; `stderrTail` is its last output, for logs only (never for members). */
export class FfmpegFailedError extends EncodeError {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
  constructor(tool: string, exitCode: number | null, signal: NodeJS.Signals | null, stderrTail: string) {
    super(`${tool} exited with ${signal ?? exitCode}`);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** Too many encodes are already waiting ({@link FitterOptions.maxQueued}). */
export class EncoderBusyError extends EncodeError {}

/** A child ran past `timeoutMs` and was killed. */
export class EncodeTimeoutError extends EncodeError {
  readonly timeoutMs: number;
  constructor(tool: string, timeoutMs: number) {
    super(`${tool} ran longer than ${timeoutMs} ms and was killed`);
    this.timeoutMs = timeoutMs;
  }
}

/** Dependencies and limits of {@link createFitter}; defaults in {@link FIT_DEFAULTS}. */
export interface FitterOptions {
  /** Default `ffmpeg` (Debian's package). */
  ffmpegPath?: string;
  /** Default `ffprobe`. */
  ffprobePath?: string;
  /** Encodes at once; more wait their turn. Default 1. */
  concurrency?: number;
  /** Encodes waiting for a slot before more are refused. Default 3. */
  maxQueued?: number;
  /** Per child process, ms. Default 10 min. */
  timeoutMs?: number;
  /** `nice` increment for the children; 0 runs them without `nice`. Default 10. */
  niceness?: number;
  /** libx264 preset. Default `veryfast`. */
  preset?: string;
  /** Encoder threads per run. Default 2. */
  threads?: number;
  /** Run children under `setpriv --pdeathsig KILL` so they die with this process. Default: on Linux. */
  killWithParent?: boolean;
  /** Called when a run starts and ends (metrics, tests); `active` counts running encodes. */
  onActivity?(active: number): void;
}

/** One fit request. */
export interface FitRequest {
  /** An mp4 on disk. */
  input: string;
  /** Where the fitted mp4 goes; removed unless the result is `fitted`. */
  output: string;
  /** The size the output must not exceed, bytes. */
  limitBytes: number;
  /** Known duration, s; probed when omitted. */
  durationS?: number;
  signal?: AbortSignal;
}

const ProbeSchema = z.object({
  format: z.object({ duration: z.coerce.number().positive().optional(), size: z.coerce.number().int().nonnegative().optional() }),
  streams: z.array(
    z.object({
      codec_type: z.string(),
      codec_name: z.string().optional(),
      width: z.number().int().positive().optional(),
      height: z.number().int().positive().optional(),
      pix_fmt: z.string().optional(),
      avg_frame_rate: z.string().optional(),
      r_frame_rate: z.string().optional(),
    }),
  ),
});

function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  const value = d ? n! / d : n!;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** Audio bitrate for a total budget, bits/s: audio takes a small share, within 32–128 kbit/s. */
export function audioBpsFor(totalBps: number): number {
  for (const bps of [128_000, 96_000, 64_000, 48_000]) if (bps <= totalBps * 0.12) return bps;
  return 32_000;
}

/**
 * Picks resolution and bitrates so `durationS` seconds fit in `budgetBytes`. Pure. Returns
 * undefined when even the last rung of {@link BPP_LADDER} would look unreasonable.
 */
export function planEncode(input: {
  width: number;
  height: number;
  fps: number;
  hasAudio: boolean;
  durationS: number;
  budgetBytes: number;
}): EncodePlan | undefined {
  const payloadBytes = (input.budgetBytes - CONTAINER_FIXED_BYTES) / (1 + CONTAINER_SHARE);
  if (payloadBytes <= 0 || input.durationS <= 0) return undefined;
  const totalBps = (payloadBytes * 8) / input.durationS;
  const audioBps = input.hasAudio ? audioBpsFor(totalBps) : 0;
  const videoBps = Math.floor(totalBps - audioBps);
  if (videoBps < MIN_VIDEO_BPS) return undefined;
  const fps = Math.min(input.fps, MAX_FPS);
  const sourceShort = Math.min(input.width, input.height);
  const landscape = input.width >= input.height;
  const size = (short: number) => {
    const long = (Math.max(input.width, input.height) * short) / sourceShort;
    return landscape ? { width: even(long), height: even(short) } : { width: even(short), height: even(long) };
  };
  const rungs = BPP_LADDER.filter((r) => r.shortSide <= sourceShort);
  // A source smaller than the last rung keeps its size and is judged by the last threshold.
  if (rungs.length === 0) rungs.push({ shortSide: sourceShort, minBpp: BPP_LADDER[BPP_LADDER.length - 1]!.minBpp });
  else if (rungs[0]!.shortSide < sourceShort) rungs.unshift({ shortSide: sourceShort, minBpp: rungs[0]!.minBpp });
  for (const rung of rungs) {
    const { width, height } = size(rung.shortSide);
    if (videoBps / (width * height * fps) >= rung.minBpp) return { width, height, fps, videoBps, audioBps };
  }
  return undefined;
}

interface RunResult {
  stdout: string;
}

/**
 * Creates the encoder. One instance per process: its concurrency limit is shared by every
 * job that calls it.
 */
export function createFitter(options: FitterOptions = {}) {
  const ffmpeg = options.ffmpegPath ?? 'ffmpeg';
  const ffprobe = options.ffprobePath ?? 'ffprobe';
  const concurrency = Math.max(1, options.concurrency ?? FIT_DEFAULTS.concurrency);
  const maxQueued = Math.max(0, options.maxQueued ?? FIT_DEFAULTS.maxQueued);
  const timeoutMs = options.timeoutMs ?? FIT_DEFAULTS.timeoutMs;
  const niceness = options.niceness ?? FIT_DEFAULTS.niceness;
  const preset = options.preset ?? FIT_DEFAULTS.preset;
  const threads = options.threads ?? FIT_DEFAULTS.threads;
  const killWithParent = options.killWithParent ?? process.platform === 'linux';

  let active = 0;
  const waiting: (() => void)[] = [];

  async function acquire(signal: AbortSignal | undefined, queueAlways = false): Promise<void> {
    signal?.throwIfAborted();
    if (active < concurrency) {
      active++;
      options.onActivity?.(active);
      return;
    }
    if (!queueAlways && waiting.length >= maxQueued) throw new EncoderBusyError(`${waiting.length} encodes already waiting`);
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = waiting.indexOf(go);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal!.reason);
      };
      waiting.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // The slot was handed over by release(): `active` already counts it.
    options.onActivity?.(active);
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
    options.onActivity?.(active);
  }

  /** Runs one child to completion; kills it on timeout or abort. Keeps only a tail of stderr. */
  function run(tool: string, args: string[], signal: AbortSignal | undefined, collectStdout: boolean): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      // setpriv (util-linux) makes the kernel SIGKILL the child when this process dies, even by
      // SIGKILL: no orphaned encoder runs on beside the restarted bot. `nice` then lowers its priority.
      const niced = niceness > 0 ? ['nice', '-n', String(niceness), tool, ...args] : [tool, ...args];
      const full = killWithParent ? ['setpriv', '--pdeathsig', 'KILL', '--', ...niced] : niced;
      const [cmd, ...argv] = full as [string, ...string[]];
      const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let failure: Error | undefined;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        if (collectStdout && stdout.length < 1_000_000) stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-4_000);
      });
      const kill = (err: Error) => {
        failure ??= err;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => kill(new EncodeTimeoutError(tool, timeoutMs)), timeoutMs);
      const onAbort = () => kill(signal!.reason instanceof Error ? signal!.reason : new DOMException('aborted', 'AbortError'));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => {
        failure ??= new EncodeError(`could not start ${tool}`, { cause: err });
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (failure) reject(failure);
        else if (code !== 0) reject(new FfmpegFailedError(tool, code, sig, stderr));
        else resolve({ stdout });
      });
    });
  }

  /** Duration, size and streams of an mp4, read by ffprobe with the input format pinned. */
  async function probe(path: string, signal?: AbortSignal): Promise<MediaInfo> {
    let out: RunResult;
    try {
      out = await run(
        ffprobe,
        [
          '-v',
          'error',
          '-protocol_whitelist',
          PROTOCOLS,
          '-f',
          INPUT_FORMAT,
          '-show_entries',
          'format=duration,size:stream=codec_type,codec_name,width,height,pix_fmt,avg_frame_rate,r_frame_rate',
          '-of',
          'json',
          path,
        ],
        signal,
        true,
      );
    } catch (err) {
      if (err instanceof FfmpegFailedError) throw new ProbeError('ffprobe could not read the video', { cause: err });
      throw err;
    }
    let parsed: z.infer<typeof ProbeSchema>;
    try {
      parsed = ProbeSchema.parse(JSON.parse(out.stdout));
    } catch (err) {
      throw new ProbeError('ffprobe printed something unexpected', { cause: err });
    }
    const v = parsed.streams.find((s) => s.codec_type === 'video');
    const a = parsed.streams.find((s) => s.codec_type === 'audio');
    const sizeBytes = parsed.format.size ?? (await stat(path)).size;
    return {
      durationS: parsed.format.duration ?? 0,
      sizeBytes,
      video:
        v && v.width && v.height
          ? {
              codec: v.codec_name ?? 'unknown',
              width: v.width,
              height: v.height,
              pixFmt: v.pix_fmt,
              fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate) ?? 30,
            }
          : undefined,
      audio: a ? { codec: a.codec_name ?? 'unknown' } : undefined,
    };
  }

  function encodeArgs(req: FitRequest, plan: EncodePlan, hasAudio: boolean): string[] {
    const kbps = (bps: number) => `${Math.floor(bps / 1000)}k`;
    return [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-protocol_whitelist',
      PROTOCOLS,
      '-f',
      INPUT_FORMAT,
      '-i',
      req.input,
      '-map',
      '0:v:0',
      ...(hasAudio ? ['-map', '0:a:0'] : []),
      '-map_metadata',
      '-1',
      '-sn',
      '-dn',
      '-vf',
      `scale=${plan.width}:${plan.height}:flags=bicubic,fps=${plan.fps},format=yuv420p`,
      '-c:v',
      'libx264',
      '-preset',
      preset,
      '-profile:v',
      'high',
      '-pix_fmt',
      'yuv420p',
      '-threads',
      String(threads),
      // Capped VBR: the average is the target and peaks stay near it, so the size is predictable.
      '-b:v',
      kbps(plan.videoBps),
      '-maxrate',
      kbps(plan.videoBps * 1.2),
      '-bufsize',
      kbps(plan.videoBps * 2),
      ...(hasAudio ? ['-c:a', 'aac', '-b:a', kbps(plan.audioBps), '-ac', '2'] : []),
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      req.output,
    ];
  }

  /**
   * Re-encodes `req.input` into `req.output` so it is at most `req.limitBytes`. Tries once more
   * with a lower target when the first result overshoots. Throws {@link EncodeError} subclasses
   * when ffmpeg/ffprobe fail or time out, the signal's reason on abort.
   */
  async function fit(req: FitRequest): Promise<FitResult> {
    await acquire(req.signal);
    let ok = false;
    try {
      const info = await probe(req.input, req.signal);
      if (!info.video) throw new ProbeError('the file has no video stream');
      const durationS = req.durationS ?? info.durationS;
      if (!(durationS > 0)) throw new ProbeError('the video has no duration');
      const hasAudio = !!info.audio;
      let share = FIRST_TARGET_SHARE;
      let lastSizeBytes: number | undefined;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const plan = planEncode({ ...info.video, hasAudio, durationS, budgetBytes: req.limitBytes * share });
        if (!plan) return { kind: 'cannot_fit', reason: lastSizeBytes === undefined ? 'too_small' : 'still_too_large', lastSizeBytes };
        await run(ffmpeg, encodeArgs(req, plan, hasAudio), req.signal, false);
        const sizeBytes = (await stat(req.output)).size;
        if (sizeBytes <= req.limitBytes) {
          ok = true;
          return { kind: 'fitted', sizeBytes, plan, attempts: attempt };
        }
        lastSizeBytes = sizeBytes;
        // Aim lower by the overshoot, with a margin.
        share = share * (req.limitBytes / sizeBytes) * 0.9;
      }
      return { kind: 'cannot_fit', reason: 'still_too_large', lastSizeBytes };
    } finally {
      if (!ok) await rm(req.output, { force: true });
      release();
    }
  }

  /**
   * Joins `inputs` (mp4s on disk, in order) into one H.264/yuv420p + AAC mp4 with `+faststart`
   * at `output`: the concat *filter*, each input opened with its format and protocol pinned (the
   * concat demuxer would read a list file that could name any path or URL). Every clip is scaled
   * and padded to the first one's size and frame rate; a clip without sound gets silence when
   * another has sound. Takes the encoder's one slot, waiting for it however long the queue
   * (a story's result cannot be linked instead). Throws {@link EncodeError} subclasses.
   */
  async function join(req: { inputs: readonly string[]; output: string; signal?: AbortSignal }): Promise<MediaInfo> {
    if (req.inputs.length === 0) throw new EncodeError('nothing to join');
    await acquire(req.signal, true);
    let ok = false;
    try {
      const infos: MediaInfo[] = [];
      for (const input of req.inputs) infos.push(await probe(input, req.signal));
      const first = infos[0]?.video;
      if (!first || infos.some((i) => !i.video)) throw new ProbeError('a clip has no video stream');
      // Even sizes: libx264 with yuv420p needs them.
      const width = first.width - (first.width % 2);
      const height = first.height - (first.height % 2);
      const fps = Math.min(MAX_FPS, Math.max(1, Math.round(first.fps)));
      const withAudio = infos.some((i) => i.audio);
      const chains: string[] = [];
      const pads: string[] = [];
      infos.forEach((info, i) => {
        chains.push(
          `[${i}:v:0]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p[v${i}]`,
        );
        pads.push(`[v${i}]`);
        if (!withAudio) return;
        chains.push(
          info.audio
            ? `[${i}:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`
            : `anullsrc=r=48000:cl=stereo,atrim=duration=${info.durationS.toFixed(3)},aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`,
        );
        pads.push(`[a${i}]`);
      });
      const graph = `${chains.join(';')};${pads.join('')}concat=n=${infos.length}:v=1:a=${withAudio ? 1 : 0}[v]${withAudio ? '[a]' : ''}`;
      const args = [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-y',
        ...req.inputs.flatMap((input) => ['-protocol_whitelist', PROTOCOLS, '-f', INPUT_FORMAT, '-i', input]),
        '-filter_complex',
        graph,
        '-map',
        '[v]',
        ...(withAudio ? ['-map', '[a]'] : []),
        '-map_metadata',
        '-1',
        '-c:v',
        'libx264',
        '-preset',
        preset,
        '-profile:v',
        'high',
        '-crf',
        '20',
        '-pix_fmt',
        'yuv420p',
        '-threads',
        String(threads),
        ...(withAudio ? ['-c:a', 'aac', '-b:a', '160k', '-ac', '2'] : []),
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        req.output,
      ];
      await run(ffmpeg, args, req.signal, false);
      const joined = await probe(req.output, req.signal);
      ok = true;
      return joined;
    } finally {
      if (!ok) await rm(req.output, { force: true });
      release();
    }
  }

  return { fit, probe, join };
}

export type Fitter = ReturnType<typeof createFitter>;
