import { isIP } from 'node:net';
import { TapeError, ExitCode } from '../errors.js';

/** Loopback addresses and names: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** Refuses to listen beyond this machine unless told so explicitly: spans would be writable by anyone. */
export function checkListenHost(host: string, allowRemote: boolean): void {
  if (isLoopback(host) || allowRemote) return;
  throw new TapeError(
    `refusing to listen on ${host}: anyone who can reach it could write to the tape; listen on 127.0.0.1, or pass --allow-remote if you mean it`,
    ExitCode.usage,
  );
}

/**
 * The Host header must name this machine by a loopback name, so that a web page whose DNS name was
 * rebound to 127.0.0.1 cannot post spans from a browser. A missing header (HTTP/1.0) is allowed.
 */
export function hostHeaderAllowed(header: string | undefined): boolean {
  if (header === undefined || header === '') return true;
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d{1,5})?$/.exec(header.trim());
  return m !== null && isLoopback(m[1]!);
}
