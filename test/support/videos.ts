/**
 * Real mp4s for tests, made by ffmpeg, and the checks a Discord client cares about (codec,
 * pixel format, audio, duration, `moov` before `mdat`). Clips are short and low-fps: the
 * machine is shared.
 */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Options of {@link makeClip}. */
export interface ClipOptions {
  width?: number;
  height?: number;
  fps?: number;
  durationS?: number;
  /** x264 constant quantiser: low values make big files (0 = lossless). Default 18. */
  qp?: number;
  /** Temporal noise strength (0–100); noise is what makes footage big. Default 5. */
  noise?: number;
  audio?: boolean;
}

/**
 * ffmpeg's arguments for a `testsrc2` + `sine` clip at `path` (H.264 yuv420p + AAC, no
 * faststart, like a plain encoder output). Noise is added so the size grows with the
 * resolution, as with real footage. The benchmark makes its clips with these too.
 */
export function clipArgs(path: string, o: ClipOptions = {}): string[] {
  const { width = 1920, height = 1080, fps = 12, durationS = 3, qp = 18, noise = 5, audio = true } = o;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=${fps}:duration=${durationS}`,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${durationS}`] : []),
    ...(noise > 0 ? ['-vf', `noise=alls=${noise}:allf=t`] : []),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-qp',
    String(qp),
    '-pix_fmt',
    'yuv420p',
    ...(audio ? ['-c:a', 'aac', '-b:a', '128k'] : []),
    '-t',
    String(durationS),
    path,
  ];
}

/** Writes the {@link clipArgs} clip to `path`. */
export async function makeClip(path: string, o: ClipOptions = {}): Promise<void> {
  await run('ffmpeg', clipArgs(path, o));
}

/** What ffprobe finds in a file. */
export interface Probed {
  durationS: number;
  video?: { codec: string; pixFmt: string; width: number; height: number };
  audio?: { codec: string };
}

export async function probeFile(path: string): Promise<Probed> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration:stream=codec_type,codec_name,pix_fmt,width,height',
    '-of',
    'json',
    path,
  ]);
  const j = JSON.parse(stdout) as {
    format: { duration: string };
    streams: { codec_type: string; codec_name: string; pix_fmt?: string; width?: number; height?: number }[];
  };
  const v = j.streams.find((s) => s.codec_type === 'video');
  const a = j.streams.find((s) => s.codec_type === 'audio');
  return {
    durationS: Number(j.format.duration),
    video: v && { codec: v.codec_name, pixFmt: v.pix_fmt ?? '', width: v.width ?? 0, height: v.height ?? 0 },
    audio: a && { codec: a.codec_name },
  };
}

/** The top-level atoms of an mp4 in file order (reads only their headers). */
export async function topLevelAtoms(path: string): Promise<{ type: string; offset: number; size: number }[]> {
  const fh = await open(path, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const atoms: { type: string; offset: number; size: number }[] = [];
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= fileSize) {
      await fh.read(header, 0, 16, offset);
      let size = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (size === 1) size = Number(header.readBigUInt64BE(8));
      else if (size === 0) size = fileSize - offset;
      if (size < 8) break;
      atoms.push({ type, offset, size });
      offset += size;
    }
    return atoms;
  } finally {
    await fh.close();
  }
}

/** True when `moov` comes before `mdat` (the video starts playing before it is fully loaded). */
export async function isFaststart(path: string): Promise<boolean> {
  const types = (await topLevelAtoms(path)).map((a) => a.type);
  const moov = types.indexOf('moov');
  const mdat = types.indexOf('mdat');
  return moov >= 0 && mdat >= 0 && moov < mdat;
}
