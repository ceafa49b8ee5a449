/** Small helpers for reading untyped request bodies. */

/** Length in code points, as Discord counts limits; 0 for a non-string. */
export function chars(value: unknown): number {
  return typeof value === 'string' ? [...value].length : 0;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A number from an untyped body, typed as the discord-api-types enum it is compared with (the
 * linter refuses comparing a plain number with enum members). The value is not checked.
 */
export function asEnum<E extends number>(_enum: Record<string, E | string>, value: number): E {
  return value as E;
}
