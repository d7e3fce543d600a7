import { READABLE_CODINGS } from './tap.js';

/**
 * Header forwarding rules (RFC 9110 §7.6.1): hop-by-hop fields, and any field named in
 * `Connection`, apply to one connection only and are not forwarded. `Host` is set for the
 * upstream; our own `x-tape-project` is removed; `Expect` is answered here, not forwarded.
 */
const HOP_BY_HOP = new Set([
  'connection', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate',
]);

const REQUEST_DROP = new Set([...HOP_BY_HOP, 'host', 'x-tape-project', 'expect']);

function connectionTokens(raw: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1]!.split(',')) {
      const name = t.trim().toLowerCase();
      if (name) out.add(name);
    }
  }
  return out;
}

function filter(raw: readonly string[], drop: Set<string>): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    const lower = k.toLowerCase();
    if (drop.has(lower) || named.has(lower)) continue;
    out.push(k, raw[i + 1]!);
  }
  return out;
}

/**
 * The Accept-Encoding sent upstream: the client's own value whenever the proxy can read every
 * coding it names (the usual `gzip, deflate, br`), else the same list without the codings it
 * cannot decode (e.g. `zstd` on a Node without it, or `*`), so that the provider never answers
 * in a coding whose usage the proxy could not read. The client still decodes what it asked for.
 */
export function acceptEncodingFor(value: string): string {
  const tokens = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const kept = tokens.filter((t) => READABLE_CODINGS.has(t.split(';')[0]!.trim().toLowerCase()));
  if (kept.length === tokens.length) return value;
  return kept.length > 0 ? kept.join(', ') : 'identity';
}

/** Request headers for the upstream, in the client's order and spelling, Host replaced. */
export function upstreamRequestHeaders(raw: readonly string[], upstreamHost: string): string[] {
  const out = filter(raw, REQUEST_DROP);
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === 'accept-encoding') out[i + 1] = acceptEncodingFor(out[i + 1]!);
  out.push('Host', upstreamHost);
  return out;
}

/** Response headers for the client, in the upstream's order and spelling. */
export function clientResponseHeaders(raw: readonly string[]): string[] {
  return filter(raw, HOP_BY_HOP);
}

/** First value of a header in rawHeaders form. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}
