import type { Adapter } from './adapters/types.js';
import { ADAPTERS, adapterByName, adapterForRoute } from './adapters/index.js';
import { TapeError, ExitCode } from '../errors.js';

/** Where a request goes: decided from our own route table and config, never from the request. */
export interface Target {
  readonly adapter: Adapter;
  /** project from `/p/<project>/...`, or null */
  readonly project: string | null;
  /** path + query for the upstream (the upstream's base path included) */
  readonly upstreamPath: string;
  /** the provider path after the route, for adapters that read the model from it */
  readonly providerPath: string;
}

export interface Upstream {
  readonly url: URL;
  readonly basePath: string;
}

export type RouteError = { readonly status: number; readonly message: string };

const PROJECT = /^[\p{L}\p{N}._:@+-]{1,64}$/u;

export function validProject(p: string): boolean {
  return PROJECT.test(p);
}

/** Percent-decodes one path segment; null when it is malformed or hides a separator or dot-segment. */
function safeSegment(seg: string): string | null {
  let d: string;
  try {
    d = decodeURIComponent(seg);
  } catch {
    return null;
  }
  if (d === '.' || d === '..' || d.includes('/') || d.includes('\\') || /[\u0000-\u001f\u007f]/.test(d)) return null;
  return d;
}

/**
 * Parses a request target. Only origin-form targets (`/path?query`) are accepted: an
 * absolute URI, `//host`, dot-segments (plain or percent-encoded), backslashes and
 * encoded slashes are refused, so no request can steer the upstream host or path.
 */
export function parseTarget(rawUrl: string, upstreams: ReadonlyMap<string, Upstream>): Target | RouteError {
  if (!rawUrl.startsWith('/') || rawUrl.startsWith('//')) return { status: 400, message: 'request target must be a path on this proxy (absolute URLs are refused)' };
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q);
  if (path.includes('\\')) return { status: 400, message: 'backslashes are not allowed in the path' };
  const segs = path.split('/').slice(1);
  for (const s of segs) if (safeSegment(s) === null) return { status: 400, message: 'dot-segments, encoded slashes and control characters are not allowed in the path' };
  let project: string | null = null;
  let at = 0;
  if (segs[0] === 'p') {
    const name = safeSegment(segs[1] ?? '') ?? '';
    if (!validProject(name)) return { status: 400, message: 'project in /p/<project>/ must be 1-64 letters, digits or ._:@+-' };
    project = name;
    at = 2;
  }
  const adapter = adapterForRoute(segs[at] ?? '');
  if (!adapter) return { status: 404, message: `no such route; use /anthropic, /openai/v1 or /gemini (optionally after /p/<project>)` };
  const up = upstreams.get(adapter.provider)!;
  const rest = segs.slice(at + 1).join('/');
  const providerPath = '/' + rest;
  return { adapter, project, providerPath, upstreamPath: up.basePath + providerPath + query };
}

/** Upstream URL for each provider: defaults, then config, then `--upstream name=URL`. */
export function resolveUpstreams(fromConfig: Readonly<Record<string, string>>, fromFlags: readonly string[]): Map<string, Upstream> {
  const chosen = new Map<string, string>();
  for (const a of ADAPTERS) chosen.set(a.provider, a.defaultUpstream);
  const set = (name: string, url: string, where: string) => {
    const a = adapterByName(name);
    if (!a) throw new TapeError(`${where}: unknown provider "${name}" (known: ${ADAPTERS.map((x) => x.route).join(', ')})`, ExitCode.usage);
    chosen.set(a.provider, url);
  };
  for (const [k, v] of Object.entries(fromConfig)) set(k, v, 'config "upstreams"');
  for (const f of fromFlags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new TapeError(`--upstream: expected provider=URL, e.g. anthropic=http://127.0.0.1:9000, got "${f}"`, ExitCode.usage);
    set(f.slice(0, eq).trim(), f.slice(eq + 1).trim(), '--upstream');
  }
  const out = new Map<string, Upstream>();
  for (const [provider, text] of chosen) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TapeError(`upstream for ${provider} is not a URL: "${text}"`, ExitCode.usage);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TapeError(`upstream for ${provider} must be http:// or https://`, ExitCode.usage);
    if (url.username || url.password) throw new TapeError(`upstream for ${provider} must not carry credentials in the URL`, ExitCode.usage);
    if (url.search || url.hash) throw new TapeError(`upstream for ${provider} must not have a query or fragment`, ExitCode.usage);
    out.set(provider, { url, basePath: url.pathname.replace(/\/+$/, '') });
  }
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Host header values a browser-driven DNS-rebinding request could not produce. */
export function allowedHosts(port: number, extra: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const h of ['127.0.0.1', 'localhost', '[::1]', ...extra.map((e) => e.toLowerCase())]) {
    out.add(`${h}:${port}`);
    if (port === 80) out.add(h);
  }
  return out;
}
