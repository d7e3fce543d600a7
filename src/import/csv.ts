/**
 * RFC 4180 CSV: quoted fields with embedded commas, quotes ("") and newlines, CRLF or LF line
 * ends, a leading BOM. Yields records with the 1-based line each starts on, so errors can
 * say FILE:LINE:COLUMN. Strict: a quote inside an unquoted field, or text after a closing
 * quote, is an error rather than a guess.
 */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

export class CsvError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

export function* parseCsv(text: string): Generator<CsvRecord> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let col = 1;
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvError('a quoted field is never closed', start, col);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CsvError('unexpected text after a closing quote', line, col);
        }
      } else {
        const s = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new CsvError('a quote inside an unquoted field (quote the whole field)', line, col);
          i++;
        }
        field = text.slice(s, i);
      }
      fields.push(field);
      field = '';
      if (i < n && text[i] === ',') {
        i++;
        col++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    // skip blank lines (a lone empty field)
    if (fields.length === 1 && fields[0] === '') continue;
    yield { line: start, fields };
  }
}
