import type { Writable } from 'node:stream';

/**
 * Line output that respects backpressure: lines are gathered into chunks and the producer
 * awaits `drain` when the pipe is full, so a 1M-row export never buffers in memory.
 */
export class LineOut {
  private buf: string[] = [];
  private size = 0;
  private readonly out: Writable;
  private readonly chunk: number;
  private closed = false;

  constructor(out: Writable, chunkBytes = 64 * 1024) {
    this.out = out;
    this.chunk = chunkBytes;
    out.on('error', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed || this.out.destroyed || (this.out as Writable & { writableEnded?: boolean }).writableEnded === true;
  }

  /** Queues a line; returns a promise only when the caller must wait for the pipe. */
  line(s: string): Promise<void> | undefined {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size >= this.chunk) return this.flush();
    return undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.buf.length === 0 || this.isClosed) {
      this.buf = [];
      this.size = 0;
      return undefined;
    }
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (this.out.write(text)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.out.off('error', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
      this.out.on('error', done);
    });
  }
}
