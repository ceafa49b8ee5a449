/**
 * Helpers of `npm run bench`: the bot as a real child process (the compiled `dist/src/main.js`,
 * as `npm start` runs it), its `/metrics`, its memory from /proc, a recording proxy in front of
 * the fake toapis, and the statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Deterministic uniform [0, 1) (LCG). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Nearest-rank percentile of `xs` (p in 0–100); NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** Most events in any half-open window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until truthy. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface BotProcess {
  child: ChildProcess;
  pid: number;
  startedAt: number;
  /** Parsed JSON log lines written so far (read from the log file). */
  logs(): Record<string, unknown>[];
  waitForLog(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<number | null>;
}

/** Runs the compiled bot with only `env` (cwd is a temp dir: no .env), logging to `logFile`. */
export function startBotProcess(env: Record<string, string>, cwd: string, logFile: string): BotProcess {
  const fd = openSync(logFile, 'a');
  const startedAt = Date.now();
  const child = spawn(process.execPath, [`${ROOT}dist/src/main.js`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = () =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .flatMap((l) => {
        if (!l.startsWith('{')) return [];
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    child,
    pid: child.pid!,
    startedAt,
    logs,
    waitForLog: (match, what, timeoutMs = 120_000) =>
      until(
        () => {
          if (child.exitCode !== null) throw new Error(`bench: bot exited (${child.exitCode}) before ${what}:\n${readFileSync(logFile, 'utf8').slice(-2_000)}`);
          return logs().find(match);
        },
        what,
        timeoutMs,
        25,
      ),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `/metrics` as a map of series line → value. */
export async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Resident memory now and its peak since start (or the last {@link resetPeakRss}), bytes. */
export function procMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs). Returns false if not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    const fd = openSync(`/proc/${pid}/clear_refs`, 'w');
    try {
      writeSync(fd, '5');
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * bench/recording-proxy.ts in its own process in front of `target`: the upstream's view of the
 * request rate, timestamped by a process that has nothing else to do.
 */
export async function startRecordingProxy(target: string): Promise<{ url: string; arrivals(): Promise<number[]>; close(): Promise<void> }> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, `${ROOT}bench/recording-proxy.ts`, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`recording proxy exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    arrivals: async () => (await (await fetch(`${url}/__arrivals`)).json()) as number[],
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
