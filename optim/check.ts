/** Checks of option values, shared by the optimizers' constructors. */

/**
 * Throws unless `value` is a number in [lo, hi], or in [lo, hi) with
 * `hiOpen` (an infinite `hi` is always open).
 */
export function checkRange(where: string, key: string, value: unknown, lo: number, hi: number, hiOpen = false): void {
  const open = hiOpen || hi === Infinity;
  const inside = typeof value === 'number' && value >= lo && (open ? value < hi : value <= hi);
  if (!inside) {
    const range = `[${lo}, ${hi === Infinity ? '∞' : hi}${open ? ')' : ']'}`;
    throw new Error(`${where}: ${key} must be a number in ${range}, got ${String(value)}`);
  }
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(where: string, key: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new Error(`${where}: ${key} must be true or false, got ${String(value)}`);
}
