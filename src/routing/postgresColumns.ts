/** A row as `pg` returns it: column name to a parsed value. */
export type PostgresRow = Record<string, unknown>;

/**
 * An integer column. `pg` returns bigint columns as strings (a bigint may exceed 2^53); every
 * sequence, count and time here is checked to fit a JavaScript number exactly.
 */
export function intColumn(row: PostgresRow, column: string): number {
  const value = row[column];
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    throw new Error(`column ${column} is ${JSON.stringify(value)}, expected a safe integer`);
  }
  return number;
}

/** A text column; a different type means the schema and the code disagree. */
export function textColumn(row: PostgresRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`column ${column} is ${typeof value}, expected text`);
  return value;
}
