/** Waiting for a condition on the fake's records, re-checked on every change. */
import { DEFAULTS, type DiscordState } from './state.js';
import type { CallMatcher, FakeCall, WaitOptions } from './types.js';

/**
 * Resolves with the first truthy value `predicate` returns; re-checked on every recorded
 * change and every `intervalMs`. Rejects after `timeoutMs` (default 5 s) with the last calls.
 */
export function waitFor<T>(s: DiscordState, predicate: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.waitTimeoutMs;
  const intervalMs = options.intervalMs ?? DEFAULTS.waitIntervalMs;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): void => {
      settled = true;
      clearInterval(interval);
      clearTimeout(timer);
      s.events.off('change', check);
    };
    const check = (): void => {
      if (settled) return;
      let value: T | undefined | null | false;
      try {
        value = predicate();
      } catch (error) {
        finish();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (value) {
        finish();
        resolve(value);
      }
    };
    const interval = setInterval(check, intervalMs);
    const timer = setTimeout(() => {
      if (settled) return;
      finish();
      const recent = s.calls
        .slice(-8)
        .map((c) => `  ${c.method} ${c.path} → ${c.status}`)
        .join('\n');
      reject(
        new Error(
          `FakeDiscord.waitFor timed out after ${timeoutMs} ms${options.description ? ` (${options.description})` : ''}. Last calls:\n${recent || '  (none)'}`,
        ),
      );
    }, timeoutMs);
    s.events.on('change', check);
    check();
  });
}

export function callMatches(call: FakeCall, match: CallMatcher): boolean {
  if (match.method && call.method !== match.method.toUpperCase()) return false;
  if (match.pathIncludes && !call.path.includes(match.pathIncludes)) return false;
  if (match.path && !match.path.test(call.path)) return false;
  if (match.status !== undefined && call.status !== match.status) return false;
  if (match.afterSeq !== undefined && call.seq <= match.afterSeq) return false;
  return true;
}
