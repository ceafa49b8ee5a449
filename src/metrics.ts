/**
 * Prometheus metrics: a small hand-written registry (counters, gauges, histograms with labels,
 * text exposition format 0.0.4) and the bot's own metrics on top of it. Nothing here does I/O;
 * `src/http/server.ts` serves {@link Registry.render}.
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { TaskRecord } from './tasks/record.js';
import type { UpstreamRequestInfo } from './upstream/client.js';

type Labels = Record<string, string>;

/** `a="x",b="y"` with the exposition format's escapes (backslash, quote, newline). */
function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const parts = names.map((n, i) => `${n}="${(values[i] ?? '').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Numbers as Prometheus writes them (`+Inf`, `NaN`). */
function num(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Number.isNaN(v) ? 'NaN' : String(v);
}

abstract class Metric {
  /** Series by joined label values. */
  protected readonly series = new Map<string, { values: string[] }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected key(labels: Labels): { key: string; values: string[] } {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    return { key: values.join('\u0000'), values };
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  abstract lines(): string[];

  render(): string {
    return [`# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n');
  }
}

export class Counter extends Metric {
  readonly type = 'counter';
  private readonly counts = new Map<string, number>();

  /** Adds `by` (default 1, never negative) to the series with these labels. */
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.name} cannot decrease`);
    const { key, values } = this.key(labels);
    if (!this.series.has(key)) this.series.set(key, { values });
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.counts.get(this.key(labels).key) ?? 0;
  }

  lines(): string[] {
    return [...this.series].map(([key, s]) => `${this.name}${labelText(this.labelNames, s.values)} ${num(this.counts.get(key) ?? 0)}`);
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge';
  private readonly current = new Map<string, number>();

  set(labels: Labels, value: number): void {
    const { key, values } = this.key(labels);
    if (!this.series.has(key)) this.series.set(key, { values });
    this.current.set(key, value);
  }

  inc(labels: Labels = {}, by = 1): void {
    this.set(labels, this.get(labels) + by);
  }

  dec(labels: Labels = {}, by = 1): void {
    this.set(labels, this.get(labels) - by);
  }

  get(labels: Labels = {}): number {
    return this.current.get(this.key(labels).key) ?? 0;
  }

  lines(): string[] {
    return [...this.series].map(([key, s]) => `${this.name}${labelText(this.labelNames, s.values)} ${num(this.current.get(key) ?? 0)}`);
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram';
  private readonly data = new Map<string, { buckets: number[]; sum: number; count: number }>();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames);
    if (labelNames.includes('le')) throw new Error('"le" is reserved for histogram buckets');
  }

  observe(labels: Labels, value: number): void {
    const { key, values } = this.key(labels);
    let d = this.data.get(key);
    if (!d) {
      this.series.set(key, { values });
      this.data.set(key, (d = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) d.buckets[i]!++;
    d.sum += value;
    d.count++;
  }

  /** Count and sum of one series. */
  get(labels: Labels = {}): { count: number; sum: number } {
    const d = this.data.get(this.key(labels).key);
    return { count: d?.count ?? 0, sum: d?.sum ?? 0 };
  }

  lines(): string[] {
    const out: string[] = [];
    for (const [key, s] of this.series) {
      const d = this.data.get(key)!;
      this.bounds.forEach((le, i) => out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, `le="${num(le)}"`)} ${d.buckets[i]}`));
      out.push(`${this.name}_bucket${labelText(this.labelNames, s.values, 'le="+Inf"')} ${d.count}`);
      out.push(`${this.name}_sum${labelText(this.labelNames, s.values)} ${num(d.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, s.values)} ${d.count}`);
    }
    return out;
  }
}

/** Metrics by name, rendered in registration order; `onCollect` hooks refresh gauges first. */
export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly hooks: (() => void)[] = [];

  private add<M extends Metric>(metric: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name)) throw new Error(`invalid metric name ${metric.name}`);
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, bounds));
  }

  /** Runs before every {@link render} (values read at scrape time). */
  onCollect(hook: () => void): void {
    this.hooks.push(hook);
  }

  /** The whole registry in the text exposition format, ending with a newline. */
  render(): string {
    for (const hook of this.hooks) hook();
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}

/** Content-Type of {@link Registry.render}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

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
export function createBotMetrics(options: { registry?: Registry; process?: boolean } = {}) {
  const registry = options.registry ?? new Registry();
  const jobs = registry.gauge('vidu_jobs', 'Jobs this process is working on, by state and model.', ['state', 'model']);
  const finished = registry.counter('vidu_jobs_finished_total', 'Jobs finished, by model and outcome (video attached, link, failed, undeliverable).', [
    'model',
    'outcome',
  ]);
  const failures = registry.counter('vidu_job_failures_total', 'Failed jobs by the code the member saw.', ['code']);
  const upstream = registry.counter('vidu_upstream_requests_total', 'HTTP attempts to toapis, by operation and outcome (ok or the error kind).', [
    'op',
    'outcome',
  ]);
  const upstreamSeconds = registry.histogram('vidu_upstream_request_duration_seconds', 'Wall time of one toapis attempt.', ['op'], REQUEST_BUCKETS_S);
  const rateWait = registry.histogram(
    'vidu_upstream_ratelimit_wait_seconds',
    'Time a toapis request waited for its budget (the TOAPIS_RATE_GROUP buckets, the upload cap).',
    [],
    DELAY_BUCKETS_S,
  );
  const pollDelay = registry.histogram(
    'vidu_poll_delay_seconds',
    "How late a task's scheduled look (status read or other step) started after it was due.",
    [],
    DELAY_BUCKETS_S,
  );
  const deliveryDelay = registry.histogram(
    'vidu_delivery_delay_seconds',
    'From seeing a finished video upstream to Discord accepting the final message.',
    ['outcome'],
    DELAY_BUCKETS_S,
  );
  const discordErrors = registry.counter('vidu_discord_errors_total', 'Discord writes that failed, by Discord error code (or HTTP status, or "network").', [
    'code',
  ]);

  const scheduled = registry.gauge('vidu_scheduler_tasks', 'Pending tasks this process has timers for.');
  const known = new Map<string, { state: string; model: string }>();

  function jobFinished(record: TaskRecord): void {
    const outcome = finishedOutcome(record);
    finished.inc({ model: record.request.model, outcome });
    if (record.outcome?.kind === 'failed') failures.inc({ code: record.outcome.code });
    if (record.outcome?.kind === 'video' && record.delivered && record.delivered.via !== 'none') {
      deliveryDelay.observe({ outcome }, Math.max(0, record.delivered.at - record.outcome.completedAt) / 1000);
    }
  }

  if (options.process !== false) {
    const rss = registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
    const heap = registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes.');
    const lag = registry.gauge('nodejs_eventloop_delay_seconds', 'Event-loop delay since the previous scrape, by quantile.', ['quantile']);
    let loop: IntervalHistogram | undefined;
    try {
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
    } catch {
      loop = undefined;
    }
    registry.onCollect(() => {
      const mem = process.memoryUsage();
      rss.set({}, mem.rss);
      heap.set({}, mem.heapUsed);
      if (loop && loop.count > 0) {
        lag.set({ quantile: '0.5' }, loop.percentile(50) / 1e9);
        lag.set({ quantile: '0.99' }, loop.percentile(99) / 1e9);
        lag.set({ quantile: '1' }, loop.max / 1e9);
        loop.reset();
      }
    });
  }

  return {
    registry,
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
      rateWait.observe({}, ms / 1000);
    },
    pollLate(ms: number): void {
      pollDelay.observe({}, Math.max(0, ms) / 1000);
    },
    /** Reads the scheduler's size at every scrape. */
    watchScheduler(size: () => number): void {
      registry.onCollect(() => scheduled.set({}, size()));
    },
    discordError(code: number | string | undefined, status: number | undefined): void {
      discordErrors.inc({ code: String(code ?? status ?? 'network') });
    },
  };
}

export type BotMetrics = ReturnType<typeof createBotMetrics>;
