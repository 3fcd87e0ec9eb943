// The SKU matrix: one SKU per combination of the spec values (the cartesian
// product, in spec order), as the server requires (400 SKU_MATRIX otherwise).
import type { SpecName } from './types';

/** Every combination of the values, first spec varying slowest. No specs: one empty combination. */
export function combinations(specs: SpecName[]): string[][] {
  let out: string[][] = [[]];
  for (const s of specs) {
    const next: string[][] = [];
    for (const prefix of out) for (const v of s.values) next.push([...prefix, v]);
    out = next;
  }
  return out;
}

export const comboKey = (specs: string[]): string => JSON.stringify(specs);

/**
 * The rows for `specs`, reusing the row already edited for the same
 * combination (keeping its id and figures) and creating the others with `blank`.
 */
export function rebuild<R extends { specs: string[] }>(specs: SpecName[], rows: R[], blank: (specs: string[]) => R): R[] {
  const byKey = new Map(rows.map((r) => [comboKey(r.specs), r]));
  return combinations(specs).map((c) => byKey.get(comboKey(c)) ?? blank(c));
}
