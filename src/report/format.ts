// Number formatting shared by the Markdown and HTML renderers, so that both
// show the same digits (the tests recompute the table cells with these rules).

import { MISSING } from "../document/blocks.js";

/** `x` with `digits` decimals, or MISSING for null or NaN; a value that rounds to zero has no minus sign. */
export function fixed(x: number | null | undefined, digits: number): string {
  if (x === null || x === undefined || Number.isNaN(x)) return MISSING;
  const text = x.toFixed(digits);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/**
 * A distance with 4 decimals, or, when it is not 0 but rounds to 0.0000, in
 * scientific notation with 2 significant digits ("3.1e-6"), so that a tiny
 * difference is not shown as none.
 */
export function distance(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return MISSING;
  return x !== 0 && Math.abs(x) < 5e-5 ? x.toExponential(1) : fixed(x, 4);
}

/** A fraction as a percentage with `digits` decimals ("0.8512" → "85.12"). */
export function percent(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined ? MISSING : fixed(x * 100, digits);
}

/** "mean ± std"; just the mean when the std is undefined. */
export function plusMinus(mean: string, std: string): string {
  return std === MISSING ? mean : `${mean} ± ${std}`;
}

/** "lo–hi" of an interval (no brackets, which Markdown would need escaped), or MISSING. */
export function interval(ci: (number | null)[] | null | undefined, format: (x: number | null) => string): string {
  return ci === null || ci === undefined || ci[0] === null || ci[1] === null ? MISSING : `${format(ci[0])}–${format(ci[1])}`;
}

/** A p-value with 3 decimals, or "< 0.001"; MISSING where the test is undefined. */
export function pValue(p: number | null): string {
  if (p === null || Number.isNaN(p)) return MISSING;
  return p < 0.001 ? "< 0.001" : p.toFixed(3);
}

/** A ratio as "×4.2". */
export function times(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? MISSING : `×${fixed(x, 1)}`;
}

/** Why a Brown–Forsythe p-value is undefined, for the note under a comparison table. */
export const BROWN_FORSYTHE_UNDEFINED =
  "Brown–Forsythe p is — where it is undefined: the absolute deviations from the median are constant within each side but differ between them, which is always so with 2 replicates on a side (both lie equally far from their median). It needs at least 3 replicates per side; the permutation test is still shown.";

/** The first 16 hex digits of a sha256, enough to tell hashes apart by eye. */
export function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}
