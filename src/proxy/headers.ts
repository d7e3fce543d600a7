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

/** Request headers for the upstream, in the client's order and spelling, Host replaced. */
export function upstreamRequestHeaders(raw: readonly string[], upstreamHost: string): string[] {
  const out = filter(raw, REQUEST_DROP);
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
