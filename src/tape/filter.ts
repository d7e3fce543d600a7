/**
 * Row filters from the command line: `--project`, `--model`, `--provider`, `--host`, each
 * repeatable; a value matches exactly, or as a `*` glob. Within one field values are OR-ed,
 * across fields AND-ed. Compiled once to SQL (for queries) and to a predicate (for rows in hand).
 */
export interface RowFilter {
  readonly project?: readonly string[];
  readonly model?: readonly string[];
  readonly provider?: readonly string[];
  readonly host?: readonly string[];
}

export interface CompiledFilter {
  /** SQL fragment for a WHERE clause ("1" when empty), with `?` placeholders */
  readonly sql: string;
  readonly params: readonly string[];
  readonly empty: boolean;
  matches(row: { readonly project: string; readonly model: string; readonly provider: string; readonly host?: string }): boolean;
}

const FIELDS = ['project', 'model', 'provider', 'host'] as const;

/** `*` is the only wildcard; every other GLOB metacharacter is taken literally. */
function toSqlGlob(pattern: string): string {
  return pattern.replace(/[[\]?]/g, (c) => `[${c}]`);
}

function toRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function compileFilter(f: RowFilter = {}, columnPrefix = ''): CompiledFilter {
  const clauses: string[] = [];
  const params: string[] = [];
  const tests: ((row: Record<string, unknown>) => boolean)[] = [];
  for (const field of FIELDS) {
    const values = (f[field] ?? []).filter((v) => v.length > 0);
    if (values.length === 0) continue;
    const parts: string[] = [];
    const res = values.map(toRegExp);
    for (const v of values) {
      if (v.includes('*')) {
        parts.push(`${columnPrefix}${field} GLOB ?`);
        params.push(toSqlGlob(v));
      } else {
        parts.push(`${columnPrefix}${field} = ?`);
        params.push(v);
      }
    }
    clauses.push(`(${parts.join(' OR ')})`);
    tests.push((row) => res.some((re) => re.test(String(row[field] ?? ''))));
  }
  return {
    sql: clauses.length ? clauses.join(' AND ') : '1',
    params,
    empty: clauses.length === 0,
    matches: (row) => tests.every((t) => t(row as Record<string, unknown>)),
  };
}

/** True when the filter names nothing (every row matches). */
export function isEmptyFilter(f: RowFilter): boolean {
  return FIELDS.every((field) => !(f[field] ?? []).some((v) => v.length > 0));
}

/** Same filter over the rollup table, which has no host column: a host filter needs the raw tape. */
export function hasHostFilter(f: RowFilter): boolean {
  return (f.host ?? []).length > 0;
}
