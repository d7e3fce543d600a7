/**
 * Incremental Server-Sent Events parser (WHATWG event-stream rules) over raw bytes.
 * Lines end with CRLF, LF or CR, and any of them may be split across chunks, as may a
 * UTF-8 character: bytes are kept until a line is complete and only then decoded.
 * Only `event` and `data` matter to us; `id`, `retry` and comments are ignored.
 */
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

export type SseHandler = (event: string, data: string) => void;

export interface SseLimits {
  /** longest line kept, bytes; a longer one marks the stream as overflowed and is dropped */
  readonly maxLine: number;
  /** largest event data kept, characters */
  readonly maxData: number;
}

const DEFAULT_LIMITS: SseLimits = { maxLine: 8 << 20, maxData: 16 << 20 };

export class SseParser {
  private partial: Buffer[] = [];
  private partialLen = 0;
  private skipLF = false;
  private first = true;
  private event = '';
  private data: string[] = [];
  private dataLen = 0;
  /** a line or event was too long and was dropped */
  overflowed = false;

  constructor(private readonly onEvent: SseHandler, private readonly limits: SseLimits = DEFAULT_LIMITS) {}

  push(chunk: Buffer): void {
    let start = 0;
    const n = chunk.length;
    if (this.skipLF && n > 0) {
      if (chunk[0] === LF) start = 1;
      this.skipLF = false;
    }
    for (let i = start; i < n; i++) {
      const b = chunk[i];
      if (b !== LF && b !== CR) continue;
      this.line(chunk, start, i);
      if (b === CR) {
        if (i + 1 < n) {
          if (chunk[i + 1] === LF) i++;
        } else this.skipLF = true;
      }
      start = i + 1;
    }
    if (start < n) this.keep(chunk.subarray(start));
  }

  /**
   * End of stream. A browser drops a final event that lacks its blank line; here it is
   * dispatched, its last line too even without a line ending, because it is all the
   * provider sent: a body that ends `data: {...}\n` (or without the newline) still says its
   * usage, and a line cut halfway is not valid JSON, which the adapters ignore.
   */
  end(): void {
    if (this.partialLen > 0) {
      const rest = Buffer.concat(this.partial);
      this.partial = [];
      this.partialLen = 0;
      this.line(rest, 0, rest.length);
    }
    if (this.data.length > 0) this.dispatch();
    else this.event = '';
  }

  private keep(piece: Buffer): void {
    if (this.partialLen < 0) return;
    if (this.partialLen + piece.length > this.limits.maxLine) {
      this.overflowed = true;
      this.partial = [];
      this.partialLen = -Infinity; // drop until the line ends
      return;
    }
    this.partial.push(Buffer.from(piece));
    this.partialLen += piece.length;
  }

  private line(chunk: Buffer, from: number, to: number): void {
    let bytes: Buffer;
    if (this.partialLen !== 0) {
      if (this.partialLen < 0) {
        this.partial = [];
        this.partialLen = 0;
        return;
      }
      if (this.partialLen + (to - from) > this.limits.maxLine) {
        this.overflowed = true;
        this.partial = [];
        this.partialLen = 0;
        return;
      }
      this.partial.push(chunk.subarray(from, to));
      bytes = Buffer.concat(this.partial);
      this.partial = [];
      this.partialLen = 0;
    } else bytes = chunk.subarray(from, to);
    if (this.first) {
      this.first = false;
      if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    if (bytes.length === 0) return this.dispatch();
    if (bytes[0] === COLON) return;
    let colon = bytes.indexOf(COLON);
    if (colon < 0) colon = bytes.length;
    const field = bytes.toString('latin1', 0, colon);
    let v = colon + 1;
    if (v < bytes.length && bytes[v] === SPACE) v++;
    if (field === 'data') {
      const value = v <= bytes.length ? bytes.toString('utf8', v) : '';
      this.dataLen += value.length + 1;
      if (this.dataLen > this.limits.maxData) {
        this.overflowed = true;
        return;
      }
      this.data.push(value);
    } else if (field === 'event') {
      this.event = v <= bytes.length ? bytes.toString('utf8', v) : '';
    }
  }

  private dispatch(): void {
    const event = this.event || 'message';
    const data = this.data;
    const over = this.dataLen > this.limits.maxData;
    this.event = '';
    this.data = [];
    this.dataLen = 0;
    if (data.length === 0 || over) return;
    this.onEvent(event, data.length === 1 ? data[0]! : data.join('\n'));
  }
}
