/**
 * PostgreSQL failures sorted into transient (retry with backoff: the server is down, restarting,
 * full of clients, or the link broke) and permanent (schema, data, auth, TLS: retrying cannot
 * help, so shipping stops and says why with the SQLSTATE). Messages are redacted.
 */
import { redact, type PgTarget } from './connect.js';

export interface PgFailure {
  readonly transient: boolean;
  readonly sqlstate: string | null;
  /** one line, safe to print */
  readonly message: string;
}

const TRANSIENT_CLASSES = ['08', '53', '57', '40', '58'];
const TRANSIENT_STATES = new Set(['55P03', '55006']);
const TRANSIENT_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'ENOENT']);
const TRANSIENT_TEXT = /connection terminated|connection timeout|timeout expired|query read timeout|server closed the connection|the database system is (starting up|shutting down)|Client has encountered a connection error|not queryable|socket hang up/i;

export function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

export function classifyPgError(err: unknown, target: Pick<PgTarget, 'secrets' | 'redacted'>): PgFailure {
  const e = (err ?? {}) as { code?: unknown; message?: string; errors?: unknown[] };
  // AggregateError (connect to several addresses): judge by the first
  const inner = Array.isArray(e.errors) && e.errors.length ? (e.errors[0] as { code?: unknown; message?: string }) : e;
  const code = inner.code ?? e.code;
  const text = redact(String(e.message || inner.message || err).replace(/\s+/g, ' ').trim(), target);
  if (isSqlState(code)) {
    const transient = TRANSIENT_CLASSES.includes(code.slice(0, 2)) || TRANSIENT_STATES.has(code);
    return { transient, sqlstate: code, message: `${text} (SQLSTATE ${code})` };
  }
  if (typeof code === 'string' && TRANSIENT_NODE.has(code)) return { transient: true, sqlstate: null, message: `cannot reach ${target.redacted}: ${text || code}` };
  if (typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
    return { transient: false, sqlstate: null, message: `TLS verification of ${target.redacted} failed: ${text}; give the server's CA with sslrootcert=` };
  }
  if (/does not support SSL/i.test(text)) return { transient: false, sqlstate: null, message: `${target.redacted} does not offer TLS, which tape requires for a host that is not loopback` };
  if (TRANSIENT_TEXT.test(text)) return { transient: true, sqlstate: null, message: `lost ${target.redacted}: ${text}` };
  return { transient: false, sqlstate: null, message: text };
}

/** Exponential backoff with jitter: half fixed, half random, capped. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = 250, capMs = 30_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(exp / 2 + random() * (exp / 2));
}
