/**
 * Phase S: process start → ready, as `npm start` runs the bot (node dist/src/main.js, compiled
 * once at install): a fresh SQLite store each run, so it is the cold start a restart costs.
 */
import { join } from 'node:path';
import type { BotProcess } from './lib.js';

/** Boots one bot with the given SQLite store URL; resolves with it and its 'ready' log line. */
export type BootSqlite = (name: string, storeUrl: string) => Promise<{ bot: BotProcess; ready: Record<string, unknown> }>;

/** Starts and stops the bot `runs` times; returns each process start → ready time, in ms. */
export async function phaseStartup(options: { boot: BootSqlite; dir: string; runs: number }): Promise<{ runs: number; processStartToReadyMs: number[] }> {
  const times: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const { bot, ready } = await options.boot(`startup-${i}`, `sqlite://${join(options.dir, `startup-${i}.sqlite`)}`);
    times.push(Number(ready.time) - bot.startedAt);
    await bot.stop();
  }
  return { runs: options.runs, processStartToReadyMs: times };
}
