import { describe, expect, it } from 'vitest';
import { createBotMetrics, finishedOutcome } from '../../src/metrics.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { record } from '../tasks/records.js';

describe('the text exposition format (prom-client)', () => {
  it('renders HELP/TYPE and one line per label set, escaping label values', async () => {
    const m = createBotMetrics({ process: false });
    m.discordError('a"b\\c\nd', undefined);
    m.discordError(50027, 401);
    m.discordError(50027, 401);
    const text = await m.render();
    expect(text).toContain(
      [
        '# HELP vidu_discord_errors_total Discord writes that failed, by Discord error code (or HTTP status, or "network").',
        '# TYPE vidu_discord_errors_total counter',
        'vidu_discord_errors_total{code="a\\"b\\\\c\\nd"} 1',
        'vidu_discord_errors_total{code="50027"} 2',
      ].join('\n'),
    );
    expect(text.endsWith('\n')).toBe(true);
  });

  it('renders histograms as cumulative buckets with +Inf, sum and count', async () => {
    const m = createBotMetrics({ process: false });
    for (const ms of [40, 500, 500, 5_000, 5_000_000]) m.pollLate(ms);
    const lines = (await m.render()).split('\n').filter((l) => l.startsWith('vidu_poll_delay_seconds'));
    expect(lines).toEqual([
      'vidu_poll_delay_seconds_bucket{le="0.05"} 1',
      'vidu_poll_delay_seconds_bucket{le="0.1"} 1',
      'vidu_poll_delay_seconds_bucket{le="0.25"} 1',
      'vidu_poll_delay_seconds_bucket{le="0.5"} 3',
      'vidu_poll_delay_seconds_bucket{le="1"} 3',
      'vidu_poll_delay_seconds_bucket{le="2.5"} 3',
      'vidu_poll_delay_seconds_bucket{le="5"} 4',
      'vidu_poll_delay_seconds_bucket{le="10"} 4',
      'vidu_poll_delay_seconds_bucket{le="20"} 4',
      'vidu_poll_delay_seconds_bucket{le="30"} 4',
      'vidu_poll_delay_seconds_bucket{le="60"} 4',
      'vidu_poll_delay_seconds_bucket{le="120"} 4',
      'vidu_poll_delay_seconds_bucket{le="300"} 4',
      'vidu_poll_delay_seconds_bucket{le="600"} 4',
      'vidu_poll_delay_seconds_bucket{le="+Inf"} 5',
      'vidu_poll_delay_seconds_sum 5006.04',
      'vidu_poll_delay_seconds_count 5',
    ]);
  });

  it('reads the scheduler size at every scrape', async () => {
    const m = createBotMetrics({ process: false });
    let n = 0;
    m.watchScheduler(() => ++n);
    await m.render();
    expect(await m.render()).toContain('\nvidu_scheduler_tasks 2\n');
  });

  it('keeps separate registries per instance (no global state)', async () => {
    createBotMetrics({ process: false }).pollLate(1_000);
    expect(await createBotMetrics({ process: false }).render()).toContain('vidu_poll_delay_seconds_count 0');
  });
});

/** A job polling upstream, built the way the command and engine build one. */
function runningRecord(): TaskRecord {
  return record({}, { state: 'running', upstream: { taskId: 'video_1', status: 'in_progress', phase: 'running', progress: 40, submittedAt: 5_000 } });
}

function done(base: TaskRecord, patch: Partial<TaskRecord>): TaskRecord {
  return { ...base, state: 'done', ...patch };
}

describe('createBotMetrics', () => {
  it('keeps jobs by state and model from step results, and counts each finish once', async () => {
    const m = createBotMetrics({ process: false });
    const rec = runningRecord();
    m.trackStep(rec.id, { ...rec, state: 'accepted' }, 1_000);
    m.trackStep(rec.id, rec, 2_000);
    const text1 = await m.render();
    expect(text1).toContain(`vidu_jobs{state="accepted",model="${rec.request.model}"} 0`);
    expect(text1).toContain(`vidu_jobs{state="running",model="${rec.request.model}"} 1`);

    const finished = done(rec, {
      outcome: { kind: 'video', url: 'https://files.example/v.mp4', completedAt: 10_000 },
      delivered: { via: 'webhook', channelId: '1', messageId: '2', at: 12_500, attached: true },
    });
    m.trackStep(rec.id, finished, 10_000);
    // A later step that returns the same done record (stale timer) does not count it again.
    m.trackStep(rec.id, finished, 20_000);
    const text = await m.render();
    expect(text).toContain(`vidu_jobs{state="running",model="${rec.request.model}"} 0`);
    expect(text).toContain(`vidu_jobs_finished_total{model="${rec.request.model}",outcome="video"} 1`);
    expect(text).toContain('vidu_delivery_delay_seconds_sum{outcome="video"} 2.5');
    expect(text).toContain('vidu_delivery_delay_seconds_count{outcome="video"} 1');
  });

  it('counts failures by code and upstream attempts by op and outcome', async () => {
    const m = createBotMetrics({ process: false });
    const rec = runningRecord();
    m.trackStep(
      rec.id,
      done(rec, {
        outcome: { kind: 'failed', code: 'content_refused' },
        delivered: { via: 'webhook', channelId: '1', messageId: '2', at: 5_000, attached: false },
      }),
      4_000,
    );
    m.upstreamRequest({ op: 'read', path: '/v1/videos/generations/x', outcome: 'ok', status: 200, durationMs: 20 });
    m.upstreamRequest({ op: 'read', path: '/v1/videos/generations/x', outcome: 'ok', status: 200, durationMs: 30 });
    m.upstreamRequest({ op: 'submit', path: '/v1/videos/generations', outcome: 'rate_limited', status: 429, durationMs: 5 });
    m.discordError(50027, 401);
    m.discordError(undefined, 503);
    m.discordError(undefined, undefined);
    m.pollLate(1_500);
    const text = await m.render();
    expect(text).toContain(`vidu_jobs_finished_total{model="${rec.request.model}",outcome="failed"} 1`);
    expect(text).toContain('vidu_job_failures_total{code="content_refused"} 1');
    expect(text).toContain('vidu_upstream_requests_total{op="read",outcome="ok"} 2');
    expect(text).toContain('vidu_upstream_requests_total{op="submit",outcome="rate_limited"} 1');
    expect(text).toContain('vidu_upstream_request_duration_seconds_sum{op="read"} 0.05');
    expect(text).toContain('vidu_discord_errors_total{code="50027"} 1');
    expect(text).toContain('vidu_discord_errors_total{code="503"} 1');
    expect(text).toContain('vidu_discord_errors_total{code="network"} 1');
    expect(text).toContain('vidu_poll_delay_seconds_bucket{le="2.5"} 1');
    expect(text).toContain('vidu_poll_delay_seconds_bucket{le="1"} 0');
  });

  it('reports process memory and event-loop delay when asked', async () => {
    const m = createBotMetrics();
    const text = await m.render();
    const rss = /^process_resident_memory_bytes (\d+)$/m.exec(text);
    expect(Number(rss?.[1])).toBeGreaterThan(1_000_000);
    expect(text).toContain('# TYPE nodejs_eventloop_delay_seconds gauge');
  });

  it.each([
    [
      {
        outcome: { kind: 'video', url: 'https://x.example/v.mp4', completedAt: 1 },
        delivered: { via: 'dm', channelId: '1', messageId: '2', at: 2, attached: true },
      },
      'video',
    ],
    [
      {
        outcome: { kind: 'video', url: 'https://x.example/v.mp4', completedAt: 1 },
        delivered: { via: 'channel', channelId: '1', messageId: '2', at: 2, attached: false },
      },
      'link',
    ],
    [{ outcome: { kind: 'failed', code: 'timed_out' }, delivered: { via: 'webhook', channelId: '1', messageId: '2', at: 2, attached: false } }, 'failed'],
    [
      {
        outcome: { kind: 'video', url: 'https://x.example/v.mp4', completedAt: 1 },
        delivered: { via: 'none', channelId: null, messageId: null, at: 2, attached: false },
      },
      'undeliverable',
    ],
  ] as const)('finishedOutcome %#', (patch, expected) => {
    expect(finishedOutcome(done(runningRecord(), patch as Partial<TaskRecord>))).toBe(expected);
  });
});
