/**
 * The command line's row filter for PostgreSQL: the same fields and meaning as ../filter.ts
 * (exact values, `*` as the only wildcard, OR within a field, AND across fields), compiled to
 * numbered placeholders from a given offset, with `*` globs turned into LIKE patterns.
 */
import { compileFilter, type RowFilter } from '../filter.js';

export interface PgFilter {
  /** SQL for a WHERE clause ("TRUE" when empty) using $<offset+1>... */
  readonly sql: string;
  readonly params: readonly string[];
  readonly empty: boolean;
  matches(row: { readonly project: string; readonly model: string; readonly provider: string; readonly host?: string }): boolean;
}

const FIELDS = ['project', 'model', 'provider', 'host'] as const;

/** `*` to `%`; LIKE's own metacharacters (and the escape) taken literally. */
export function globToLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

export function pgFilter(f: RowFilter, offset: number, fields: readonly string[] = FIELDS): PgFilter {
  const clauses: string[] = [];
  const params: string[] = [];
  for (const field of FIELDS) {
    if (!fields.includes(field)) continue;
    const values = (f[field] ?? []).filter((v) => v.length > 0);
    if (values.length === 0) continue;
    const parts = values.map((v) => {
      params.push(v.includes('*') ? globToLike(v) : v);
      return `${field} ${v.includes('*') ? 'LIKE' : '='} $${offset + params.length}`;
    });
    clauses.push(`(${parts.join(' OR ')})`);
  }
  const local = compileFilter(f);
  return { sql: clauses.length ? clauses.join(' AND ') : 'TRUE', params, empty: clauses.length === 0, matches: (r) => local.matches(r) };
}
