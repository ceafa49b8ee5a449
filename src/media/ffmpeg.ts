/**
 * How the bot runs ffmpeg on bytes it did not make (upstream videos, member images): the input
 * demuxer is named, never guessed from the content, and only the protocols the job needs are
 * allowed — so a crafted file (an HLS playlist or concat list posing as a video) cannot make
 * ffmpeg open URLs or local files on our behalf.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Input demuxers the bot reads with: ISO-BMFF (MP4/QuickTime) and still images. */
export type FfmpegInputFormat = 'mov' | 'image2pipe';

/**
 * The arguments that open one input safely: `-protocol_whitelist` (`file` for a path, `pipe`
 * for stdin) and `-f <format>` before `-i`.
 */
export function safeInputArgs(format: FfmpegInputFormat, input: string): string[] {
  const protocol = input === 'pipe:0' || input === '-' ? 'pipe' : 'file';
  return ['-protocol_whitelist', protocol, '-f', format, '-i', input];
}

/** ffmpeg exited non-zero, timed out, or is not installed; `message` is ffmpeg's first line. */
export class FfmpegError extends Error {
  override name = 'FfmpegError';
}

/** Runs ffmpeg over files (`args` must use {@link safeInputArgs} for every input). */
export async function runFfmpegFiles(args: string[], options: { timeoutMs: number; ffmpegPath?: string }): Promise<void> {
  try {
    await run(options.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { timeout: options.timeoutMs });
  } catch (err) {
    throw new FfmpegError(`ffmpeg failed: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/**
 * Pipes `input` through ffmpeg (stdin → stdout) and returns stdout, at most `maxOutputBytes`.
 * `args` must read `pipe:0` through {@link safeInputArgs} and write `pipe:1`.
 */
export function runFfmpegPipe(args: string[], input: Buffer, options: { timeoutMs: number; maxOutputBytes: number; ffmpegPath?: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: FfmpegError | undefined;
    const timer = setTimeout(() => {
      failure ??= new FfmpegError(`ffmpeg timed out after ${options.timeoutMs} ms`);
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > options.maxOutputBytes) {
        failure ??= new FfmpegError(`ffmpeg output over ${options.maxOutputBytes} bytes`);
        child.kill('SIGKILL');
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    // ffmpeg may stop reading early (bad input): EPIPE on stdin is expected then.
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => {
      failure ??= new FfmpegError(`ffmpeg could not start: ${err.message}`, { cause: err });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      if (code !== 0) return reject(new FfmpegError(`ffmpeg failed: ${stderr.split('\n')[0] || `exit ${code}`}`));
      resolve(Buffer.concat(out, outBytes));
    });
    child.stdin.end(input);
  });
}
