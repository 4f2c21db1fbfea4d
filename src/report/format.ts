// Number formatting shared by the Markdown and HTML renderers, so that both
// show the same digits (the tests recompute the table cells with these rules).

/** Placeholder for a value that is undefined (fewer than 2 runs, a zero denominator). */
export const MISSING = "—";

/** `x` with `digits` decimals, or MISSING for null. */
export function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined ? MISSING : x.toFixed(digits);
}

/** A fraction as a percentage with `digits` decimals ("0.8512" → "85.12"). */
export function percent(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined ? MISSING : (x * 100).toFixed(digits);
}

/** "mean ± std"; just the mean when the std is undefined. */
export function plusMinus(mean: string, std: string): string {
  return std === MISSING ? mean : `${mean} ± ${std}`;
}

/** "lo–hi" of an interval (no brackets, which Markdown would need escaped), or MISSING. */
export function interval(ci: (number | null)[] | null | undefined, format: (x: number | null) => string): string {
  return ci === null || ci === undefined || ci[0] === null || ci[1] === null ? MISSING : `${format(ci[0])}–${format(ci[1])}`;
}

/** A p-value with 3 decimals, or "< 0.001". */
export function pValue(p: number | null): string {
  if (p === null) return MISSING;
  return p < 0.001 ? "< 0.001" : p.toFixed(3);
}

/** A ratio as "×4.2". */
export function times(x: number | null | undefined): string {
  return x === null || x === undefined ? MISSING : `×${x.toFixed(1)}`;
}

/** The first 16 hex digits of a sha256, enough to tell hashes apart by eye. */
export function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}
