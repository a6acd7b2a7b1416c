// Optional SQL clauses with their values bound by name (never interpolated): the one way the
// order statements add a SET, a WHERE condition or a range bound that only some calls have.

export type BoundClause = [clause: string, name: string, value: unknown];

/** Appends each clause whose value is given (not undefined) to clauses and binds $name to it. */
export function addBound(clauses: string[], bind: Record<string, unknown>, entries: BoundClause[]): string[] {
  for (const [clause, name, value] of entries) {
    if (value === undefined) continue;
    clauses.push(clause);
    bind[name] = value;
  }
  return clauses;
}

/** `WHERE a AND b`, or nothing for no conditions. */
export function whereOf(conds: string[]): string {
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}
