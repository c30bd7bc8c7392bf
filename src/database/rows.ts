/** `group_id` → `groupId`: a column's name as a field of a record. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** A row with its columns named as a record's fields, each keeping its type. */
export type CamelCased<Row> = { [K in keyof Row as K extends string ? CamelCase<K> : K]: Row[K] };

/**
 * The row as a record: every column under its camel-case name, in the row's order. A column whose
 * type changes on the way (a bigint that arrives as text) is overridden by the caller after it.
 */
export function camelCased<Row extends Record<string, unknown>>(row: Row): CamelCased<Row> {
  const record: Record<string, unknown> = {};
  for (const column in row) record[fieldName(column)] = row[column];
  return record as CamelCased<Row>;
}

/** Field names by column name: a row is mapped on every message read, the names are few and fixed. */
const FIELD_NAMES = new Map<string, string>();

function fieldName(column: string): string {
  let field = FIELD_NAMES.get(column);
  if (field === undefined) {
    field = column.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
    FIELD_NAMES.set(column, field);
  }
  return field;
}
