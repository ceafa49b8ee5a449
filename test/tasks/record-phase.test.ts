import { describe, expect, it } from 'vitest';
import { TaskRecordSchema } from '../../src/tasks/record.js';
import { record } from './records.js';

/** The upstream phase is stored with the status; records written before it get it on read. */
describe('TaskRecord upstream.phase', () => {
  const base = record({}, { state: 'running', upstream: { taskId: 'video_1', status: 'in_progress', phase: 'running', progress: 40, submittedAt: 5_000 } });

  it.each([
    ['queued', 'queued'],
    [' Pending ', 'queued'],
    ['submitted', 'queued'],
    ['processing', 'running'],
    ['something new', 'running'],
    ['completed', 'completed'],
    ['FAILED', 'failed'],
  ])('an older record with status %j reads as phase %s', (status, phase) => {
    const { phase: _omit, ...upstream } = base.upstream!;
    const stored = JSON.parse(JSON.stringify({ ...base, upstream: { ...upstream, status } })) as unknown;
    expect(TaskRecordSchema.parse(stored).upstream?.phase).toBe(phase);
  });

  it('keeps the phase a record was written with', () => {
    const stored = JSON.parse(JSON.stringify({ ...base, upstream: { ...base.upstream!, status: 'queued', phase: 'queued' } })) as unknown;
    expect(TaskRecordSchema.parse(stored).upstream).toEqual({ ...base.upstream, status: 'queued', phase: 'queued' });
  });
});
