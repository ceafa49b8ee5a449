import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customId, parseCustomId } from '../../commands/types.js';
import { JOB_ACTIONS, renderFinal } from '../../src/render/render.js';
import { record, snowflake } from '../tasks/records.js';

/** custom_id build/parse: what a button or modal carries comes back exactly as it was built. */
const PREFIXES = ['job', 'jobs', 'animate', 'subjects'];
const part = fc.string({ minLength: 1, maxLength: 20 });
/** Names as the subject library allows them: letters (any script), marks, digits, `_`, `-`; at most 32. */
const subjectName = fc.string({ unit: fc.constantFrom('a', 'Z', '9', '_', '-', '猫', 'é', 'ß', 'Ж'), minLength: 1, maxLength: 32 });

describe('custom_id (property)', () => {
  it('parse(build(prefix, ...args)) gives back the prefix and args', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), fc.array(part, { maxLength: 4 }), (prefix, args) => {
        let id: string;
        try {
          id = customId(prefix, ...args);
        } catch {
          // Refused at build time (too long, or a part that would not parse back): never sent.
          expect([prefix, ...args].join(':').length > 100 || args.some((a) => a.includes(':'))).toBe(true);
          return;
        }
        expect(id.length).toBeLessThanOrEqual(100);
        expect(parseCustomId(id)).toEqual({ prefix, args });
      }),
      { numRuns: 3_000 },
    );
  });

  it('every id the bot builds today round-trips: result buttons, Edit modal, subjects, pages', () => {
    fc.assert(
      fc.property(fc.constantFrom(...JOB_ACTIONS), subjectName, fc.nat({ max: 10_000 }), (action, name, page) => {
        const id = snowflake();
        expect(parseCustomId(customId('job', action, id))).toEqual({ prefix: 'job', args: [action, id] });
        expect(parseCustomId(customId('subjects', 'add', name))).toEqual({ prefix: 'subjects', args: ['add', name] });
        expect(parseCustomId(customId('jobs', 'page', String(page)))).toEqual({ prefix: 'jobs', args: ['page', String(page)] });
      }),
      { numRuns: 500 },
    );
    // The result card's buttons (built inline by the renderer) parse to their action and job.
    const done = record({}, { state: 'done', outcome: { kind: 'video', url: 'https://files.example/v.mp4', completedAt: 1 } } as never);
    const ids: string[] = [];
    JSON.stringify(renderFinal(done), (key, value: unknown) => {
      if (key === 'custom_id' && typeof value === 'string') ids.push(value);
      return value;
    });
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const { prefix, args } = parseCustomId(id);
      expect(prefix).toBe('job');
      expect(JOB_ACTIONS).toContain(args[0]);
      expect(args[1]).toBe(done.id);
    }
  });
});
