/**
 * Keeps the {@link DurationHistory} (what past jobs took, which shapes the polling) across
 * restarts: loaded at start, saved at most once per `saveDelayMs` after a job finished.
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { TaskRecord } from './record.js';
import { createDurationHistory, type DurationHistory } from './schedule.js';

export interface PersistedHistory {
  history: DurationHistory;
  /** Learns from a job delivered just now (only finished videos count). */
  observe(record: TaskRecord): void;
  /** Cancels a pending save (graceful stop). */
  stop(): void;
}

/** Loads the stored history (an unreadable or absent one starts empty). */
export async function loadPersistedHistory(options: { store: Pick<Store, 'pollHistory'>; logger: Logger; saveDelayMs: number }): Promise<PersistedHistory> {
  const history = createDurationHistory();
  history.load(await options.store.pollHistory.get().catch(() => undefined));
  let timer: NodeJS.Timeout | undefined;
  return {
    history,
    observe(record) {
      if (record.outcome?.kind !== 'video' || !record.upstream) return;
      history.observe(record.request, record.outcome.completedAt - record.upstream.submittedAt);
      timer ??= setTimeout(() => {
        timer = undefined;
        options.store.pollHistory.set(undefined, history.toJSON()).catch((err: unknown) => options.logger.debug({ err }, 'could not save poll history'));
      }, options.saveDelayMs).unref();
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
