/**
 * The SQLite side of the operator caps and member safeguards (src/settings/counters.ts), meta
 * `spend:<line>` (weighted video-seconds of one ledger line) and `gate:<window>:<userId>` (a
 * member's admissions). On Redis the same counters are Lua-scripted keys outside keyv.
 */
import { z } from 'zod';
import { defineFamily } from './family.js';

/** A ledger line lives a few days past its UTC day (refunds of jobs that end after midnight), ms. */
export const SPEND_TTL_MS = 3 * 24 * 60 * 60 * 1000;

export const spendLines = defineFamily({
  name: 'spend line',
  namespace: 'meta',
  schema: z.number().min(0),
  key: (line: string) => `spend:${line}`,
  ttlMs: SPEND_TTL_MS,
});

/**
 * The reservations of one UTC day not yet final (their jobs still running), by job id: what each
 * added and to which lines. A refund gives back exactly that, once; a job that succeeded is
 * committed (dropped from here, its spend kept). A kill between two writes can therefore neither
 * refund twice nor leave a reservation nobody can find (see `reconcile` in src/settings/operator.ts).
 */
export const OpenSpendSchema = z.record(z.string(), z.object({ amount: z.number().min(0), at: z.number(), keys: z.array(z.string()).max(8) }));
export type OpenSpend = z.infer<typeof OpenSpendSchema>;

export const openSpends = defineFamily({
  name: 'open spend',
  namespace: 'meta',
  schema: OpenSpendSchema,
  key: (day: string) => `spend-open:${day}`,
  ttlMs: SPEND_TTL_MS,
});

export const GateRecordSchema = z.object({
  /** Job id → admitted at, ms. */
  inFlight: z.record(z.string(), z.number()).default({}),
  /** Admissions in the window, oldest first. */
  starts: z.array(z.object({ id: z.string(), at: z.number() })).default([]),
});
export type GateRecord = z.infer<typeof GateRecordSchema>;

/** A gate record outlives its newest entry by a day at most (entries age out earlier), ms. */
export const GATE_TTL_MS = 24 * 60 * 60 * 1000;

export const memberGates = defineFamily({
  name: 'member gate',
  namespace: 'meta',
  schema: GateRecordSchema,
  key: ({ window, userId }: { window: string; userId: string }) => `gate:${window}:${userId}`,
  ttlMs: GATE_TTL_MS,
});

/** Keys taken once ({@link Counters.claim} on SQLite), meta `claim:<key>`. */
export const claims = defineFamily({
  name: 'claim',
  namespace: 'meta',
  schema: z.object({ at: z.number() }),
  key: (key: string) => `claim:${key}`,
});
