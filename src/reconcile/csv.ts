/**
 * A strict RFC 4180 CSV reader: a leading BOM, CRLF or LF line ends, quoted fields holding
 * commas, quotes ("") and newlines. Anything outside the grammar (a bare quote inside an
 * unquoted field, text after a closing quote, an unterminated quote, a record with the wrong
 * number of fields) is an error with its line and column. Our own, not a library: the whole
 * grammar is forty lines, and we need exact positions for `FILE:LINE:COLUMN` messages.
 */

export class InputError extends Error {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(line: number, column: number, reason: string) {
    super(`${line}:${column}: ${reason}`);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

export interface CsvRecord {
  readonly fields: readonly string[];
  /** line of the record's first character (1-based) */
  readonly line: number;
  /** [line, column] of each field's first character (1-based) */
  position(i: number): [number, number];
}

class Rec implements CsvRecord {
  constructor(readonly fields: readonly string[], readonly line: number, private readonly starts: readonly number[]) {}
  position(k: number): [number, number] {
    return [this.starts[k * 2] ?? this.line, this.starts[k * 2 + 1] ?? 1];
  }
}

/** Strips a UTF-8 byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Calls `onRecord` for every record, the header included, in order. Blank lines between
 * records are refused (RFC 4180 has none) except at the very end of the file.
 */
export function readCsv(input: string, onRecord: (r: CsvRecord) => void): void {
  const text = stripBom(input);
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let width = -1;
  while (i < n) {
    const recLine = line;
    const fields: string[] = [];
    const starts: number[] = [];
    for (;;) {
      starts.push(line, i - lineStart + 1);
      if (text.charCodeAt(i) === 34 /* " */) {
        const qLine = line;
        const qCol = i - lineStart + 1;
        let j = i + 1;
        let out = '';
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new InputError(qLine, qCol, 'a quoted field is never closed (missing ")');
          const chunk = text.slice(j, q);
          out += chunk;
          for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) {
            line++;
            lineStart = j + k + 1;
          }
          if (text.charCodeAt(q + 1) === 34) {
            out += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        fields.push(out);
        const c = text.charCodeAt(i);
        if (i < n && c !== 44 && c !== 10 && c !== 13) throw new InputError(line, i - lineStart + 1, 'text after a closing quote (a quote inside a field must be doubled: "")');
      } else {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13) break;
          if (c === 34) throw new InputError(line, j - lineStart + 1, 'a quote inside an unquoted field (quote the whole field and double the quote)');
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      const c = text.charCodeAt(i);
      if (c === 44) {
        i++;
        continue;
      }
      if (c === 13) {
        if (text.charCodeAt(i + 1) !== 10) throw new InputError(line, i - lineStart + 1, 'a carriage return without a line feed');
        i += 2;
      } else if (c === 10) i += 1;
      line++;
      lineStart = i;
      break;
    }
    if (fields.length === 1 && fields[0] === '' && starts[1] === 1 && text.charCodeAt(i - 1) === 10) {
      // an empty line: allowed only as trailing blank lines
      if (text.slice(i).trim() === '') return;
      throw new InputError(recLine, 1, 'an empty line between records');
    }
    if (width < 0) width = fields.length;
    else if (fields.length !== width) {
      const [l, c] = fields.length > width ? [starts[width * 2]!, starts[width * 2 + 1]!] : [line - 1, 1];
      throw new InputError(l, c, `this record has ${fields.length} fields, the header has ${width}`);
    }
    onRecord(new Rec(fields, recLine, starts));
  }
}

/** A header row as a column map: lower-cased, trimmed names to indexes; duplicates refused. */
export function headerMap(r: CsvRecord): Map<string, number> {
  const m = new Map<string, number>();
  r.fields.forEach((f, i) => {
    const k = f.trim().toLowerCase();
    if (k === '') return;
    if (m.has(k)) throw new InputError(...r.position(i), `column "${k}" appears twice in the header`);
    m.set(k, i);
  });
  return m;
}
