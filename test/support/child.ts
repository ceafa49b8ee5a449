import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader by absolute URL: the child's cwd is a temp dir without node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface BotProcess {
  child: ChildProcess;
  /** Every stdout + stderr line so far. */
  lines: string[];
  /** Resolves when a log line matching `pattern` appears. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `src/main.ts` as a real process (through tsx), exactly as `npm start` would run the
 * compiled file, with only the given environment (no .env file is read: cwd is a temp dir).
 */
export function spawnBot(env: Record<string, string>, cwd: string): BotProcess {
  const child = spawn(process.execPath, ['--import', TSX, `${ROOT}src/main.ts`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const feed = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    for (const w of waiters) w();
  };
  child.stdout.on('data', feed);
  child.stderr.on('data', feed);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    exited,
    kill: (signal) => void child.kill(signal),
    waitForLine(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => pattern.test(l));
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`bot exited before ${pattern}; output:\n${lines.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output:\n${lines.slice(-30).join('\n')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** What {@link botEnv} needs: the credentials and where the fakes and the store are. */
export interface BotEnvOptions {
  discordToken: string;
  toapisApiKey: string;
  toapisUrl: string;
  discordApiUrl: string;
  /** `sqlite://…` or `redis://…`. */
  storeUrl: string;
}

/**
 * The environment of a bot process run against the fakes (tests, the benchmark, the soak): the
 * process contract's names in one place, info logs, and `extra` on top (time scale, limits…).
 */
export function botEnv(o: BotEnvOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DISCORD_TOKEN: o.discordToken,
    TOAPIS_API_KEY: o.toapisApiKey,
    TOAPIS_BASE_URL: o.toapisUrl,
    DISCORD_API_URL: o.discordApiUrl,
    STORE_URL: o.storeUrl,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/**
 * {@link spawnBot}, added to `track` at once (so a caller's cleanup kills it even when it never
 * gets ready), resolved once it logs `ready`.
 */
export async function bootBot(env: Record<string, string>, cwd: string, track: BotProcess[], timeoutMs = 20_000): Promise<BotProcess> {
  const bot = spawnBot(env, cwd);
  track.push(bot);
  await bot.waitForLine(/"msg":"ready"/, timeoutMs);
  return bot;
}
