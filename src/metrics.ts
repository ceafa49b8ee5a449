/**
 * Prometheus metrics: the bot's own metrics on a prom-client {@link Registry} (one per
 * {@link createBotMetrics} call, never prom-client's global one, so tests and shard processes
 * stay apart). Nothing here does I/O; `src/http/server.ts` serves the rendered text.
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TaskRecord } from './tasks/record.js';
import type { UpstreamRequestInfo } from './upstream/client.js';

/** Content-Type of the rendered metrics (text exposition format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Buckets for delays measured in seconds (polls, deliveries): 50 ms … 10 min. */
const DELAY_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** Buckets for one HTTP call, s. */
const REQUEST_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How a finished job ended, as the `outcome` label says it. */
export function finishedOutcome(record: TaskRecord): 'video' | 'link' | 'failed' | 'undeliverable' {
  if (record.delivered?.via === 'none') return 'undeliverable';
  if (record.outcome?.kind === 'failed') return 'failed';
  return record.delivered?.attached ? 'video' : 'link';
}

/**
 * The bot's metrics. Job gauges are kept from the records the scheduler's steps return (this
 * process's jobs only: with sharding, each shard reports its own).
 */
export function createBotMetrics(options: { process?: boolean } = {}) {
  const registry = new Registry();
  const registers = [registry];
  const jobs = new Gauge({ name: 'vidu_jobs', help: 'Jobs this process is working on, by state and model.', labelNames: ['state', 'model'], registers });
  const finished = new Counter({
    name: 'vidu_jobs_finished_total',
    help: 'Jobs finished, by model and outcome (video attached, link, failed, undeliverable).',
    labelNames: ['model', 'outcome'],
    registers,
  });
  const failures = new Counter({ name: 'vidu_job_failures_total', help: 'Failed jobs by the code the member saw.', labelNames: ['code'], registers });
  const upstream = new Counter({
    name: 'vidu_upstream_requests_total',
    help: 'HTTP attempts to toapis, by operation and outcome (ok or the error kind).',
    labelNames: ['op', 'outcome'],
    registers,
  });
  const upstreamSeconds = new Histogram({
    name: 'vidu_upstream_request_duration_seconds',
    help: 'Wall time of one toapis attempt.',
    labelNames: ['op'],
    buckets: REQUEST_BUCKETS_S,
    registers,
  });
  const rateWait = new Histogram({
    name: 'vidu_upstream_ratelimit_wait_seconds',
    help: 'Time a toapis request waited for its budget (the TOAPIS_RATE_GROUP buckets, the upload cap).',
    buckets: DELAY_BUCKETS_S,
    registers,
  });
  const pollDelay = new Histogram({
    name: 'vidu_poll_delay_seconds',
    help: "How late a task's scheduled look (status read or other step) started after it was due.",
    buckets: DELAY_BUCKETS_S,
    registers,
  });
  const deliveryDelay = new Histogram({
    name: 'vidu_delivery_delay_seconds',
    help: 'From seeing a finished video upstream to Discord accepting the final message.',
    labelNames: ['outcome'],
    buckets: DELAY_BUCKETS_S,
    registers,
  });
  const discordErrors = new Counter({
    name: 'vidu_discord_errors_total',
    help: 'Discord writes that failed, by Discord error code (or HTTP status, or "network").',
    labelNames: ['code'],
    registers,
  });

  let schedulerSize: (() => number) | undefined;
  new Gauge({
    name: 'vidu_scheduler_tasks',
    help: 'Pending tasks this process has timers for.',
    registers,
    collect() {
      this.set(schedulerSize?.() ?? 0);
    },
  });
  const known = new Map<string, { state: string; model: string }>();

  function jobFinished(record: TaskRecord): void {
    const outcome = finishedOutcome(record);
    finished.inc({ model: record.request.model, outcome });
    if (record.outcome?.kind === 'failed') failures.inc({ code: record.outcome.code });
    if (record.outcome?.kind === 'video' && record.delivered && record.delivered.via !== 'none') {
      deliveryDelay.observe({ outcome }, Math.max(0, record.delivered.at - record.outcome.completedAt) / 1000);
    }
  }

  // Hand-made rather than prom-client's collectDefaultMetrics: these names (and the
  // since-the-last-scrape event-loop quantiles) are the ones the README and dashboards use.
  if (options.process !== false) {
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use, bytes.',
      registers,
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    let loop: IntervalHistogram | undefined;
    try {
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
    } catch {
      loop = undefined;
    }
    new Gauge({
      name: 'nodejs_eventloop_delay_seconds',
      help: 'Event-loop delay since the previous scrape, by quantile.',
      labelNames: ['quantile'],
      registers,
      collect() {
        if (!loop || loop.count === 0) return;
        this.set({ quantile: '0.5' }, loop.percentile(50) / 1e9);
        this.set({ quantile: '0.99' }, loop.percentile(99) / 1e9);
        this.set({ quantile: '1' }, loop.max / 1e9);
        loop.reset();
      },
    });
  }

  return {
    /** Every metric in the text exposition format ({@link PROMETHEUS_CONTENT_TYPE}), ending with a newline. */
    render(): Promise<string> {
      return registry.metrics();
    },
    /**
     * Follows one job from the record a step returned (`undefined`: the record is gone).
     * `startedAt` is when the step began (ms, the bot's clock): a job whose final message is
     * dated after it finished in this step and is counted once.
     */
    trackStep(id: string, record: TaskRecord | undefined, startedAt: number): void {
      const before = known.get(id);
      if (before) jobs.dec(before);
      if (!record || record.state === 'done') {
        known.delete(id);
        if (record?.delivered && record.delivered.at >= startedAt) jobFinished(record);
        return;
      }
      const now = { state: record.state, model: record.request.model };
      known.set(id, now);
      jobs.inc(now);
    },
    upstreamRequest(info: UpstreamRequestInfo): void {
      upstream.inc({ op: info.op, outcome: info.outcome });
      upstreamSeconds.observe({ op: info.op }, info.durationMs / 1000);
    },
    rateLimitWait(ms: number): void {
      rateWait.observe(ms / 1000);
    },
    pollLate(ms: number): void {
      pollDelay.observe(Math.max(0, ms) / 1000);
    },
    /** Reads the scheduler's size at every scrape. */
    watchScheduler(size: () => number): void {
      schedulerSize = size;
    },
    discordError(code: number | string | undefined, status: number | undefined): void {
      discordErrors.inc({ code: String(code ?? status ?? 'network') });
    },
  };
}

export type BotMetrics = ReturnType<typeof createBotMetrics>;
