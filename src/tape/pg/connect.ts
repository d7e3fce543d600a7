/**
 * PostgreSQL destinations: a URL turned into client options with our TLS rule (verify-full for
 * any host that is not loopback; plain allowed on loopback and unix sockets), a redacted label
 * for every message, and a key that names the destination without its secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TapeError, ExitCode } from '../../errors.js';

export interface PgTarget {
  readonly config: pg.ClientConfig;
  /** postgres://user@host:port/db: safe to print */
  readonly redacted: string;
  /** user@host:port/db, for naming cursors */
  readonly key: string;
  readonly loopback: boolean;
  /** strings that must never be printed (the password, the raw URL) */
  readonly secrets: readonly string[];
}

export function isPostgresUrl(s: string | undefined | null): s is string {
  return typeof s === 'string' && /^postgres(ql)?:\/\//i.test(s);
}

export function isLoopbackHost(host: string): boolean {
  if (host.startsWith('/')) return true; // unix socket folder
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

type Env = Readonly<Record<string, string | undefined>>;

function tlsOptions(host: string, sslmode: string | null, params: URLSearchParams, loopback: boolean): pg.ClientConfig['ssl'] {
  const mode = sslmode ?? (loopback ? 'disable' : 'verify-full');
  if (!loopback && mode !== 'verify-full') {
    throw new TapeError(`sslmode=${mode} is refused for ${host}: tape verifies TLS (verify-full) for every host that is not loopback; remove sslmode or set sslmode=verify-full`, ExitCode.usage);
  }
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const rootPath = params.get('sslrootcert') ?? join(homedir(), '.postgresql', 'root.crt');
  const ca = existsSync(rootPath) ? readFileSync(rootPath, 'utf8') : undefined;
  if (mode === 'require') return { rejectUnauthorized: false };
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  return {
    rejectUnauthorized: true,
    servername: host.replace(/^\[|\]$/g, ''),
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert: readFileSync(cert, 'utf8') } : {}),
    ...(key ? { key: readFileSync(key, 'utf8') } : {}),
  };
}

/** Parses postgres://user:password@host:port/db?sslmode=...&host=/socket/dir. */
export function parsePgUrl(raw: string, env: Env = process.env, applicationName = 'tape'): PgTarget {
  let u: URL;
  // postgres://user@/db?host=/socket has no host part, which URL cannot parse: fill one in
  const noHost = /^postgres(ql)?:\/\/([^@/]*@)?\//i.test(raw);
  try {
    u = new URL(noHost ? raw.replace(/^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)\//i, '$1localhost/') : raw);
  } catch {
    throw new TapeError('the PostgreSQL URL is malformed; expected postgres://user@host:5432/database', ExitCode.usage);
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) throw new TapeError('expected a postgres:// URL', ExitCode.usage);
  const p = u.searchParams;
  const host = p.get('host') ?? (noHost ? env.PGHOST ?? 'localhost' : decodeURIComponent(u.hostname));
  const port = Number(p.get('port') ?? (u.port || env.PGPORT || 5432));
  const user = decodeURIComponent(u.username) || p.get('user') || env.PGUSER || userInfo().username;
  const password = decodeURIComponent(u.password) || p.get('password') || undefined;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || p.get('dbname') || env.PGDATABASE || user;
  const loopback = isLoopbackHost(host);
  const ssl = tlsOptions(host, p.get('sslmode') ?? env.PGSSLMODE ?? null, p, loopback);
  const where = host.startsWith('/') ? `[${host}]` : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const key = `${user}@${where}:${port}/${database}`;
  const secrets = [raw, password, password ? encodeURIComponent(password) : undefined].filter((s): s is string => !!s && s.length >= 3);
  return {
    config: {
      host: host.replace(/^\[|\]$/g, ''),
      port,
      user,
      database,
      ...(password !== undefined ? { password } : {}),
      ssl,
      application_name: applicationName,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      query_timeout: 120_000,
    },
    redacted: `postgres://${key}`,
    key,
    loopback,
    secrets,
  };
}

/** Replaces any secret in a message by the redacted label. */
export function redact(text: string, target: Pick<PgTarget, 'secrets' | 'redacted'>): string {
  let out = text;
  for (const s of target.secrets) out = out.split(s).join(s.includes('://') ? target.redacted : '***');
  return out.replace(/(postgres(?:ql)?:\/\/[^\s:@/]*):[^\s@/]*@/gi, '$1:***@');
}

/**
 * A command line with the password of every postgres:// URL in it replaced by ***, or null when
 * there is none to hide. main() puts it in process.title, which on Linux overwrites the argv that
 * `ps` and /proc/PID/cmdline show, so a password typed in a flag is visible only for the moment
 * before tape starts (the warning still says to keep it out of flags).
 */
export function redactArgs(args: readonly string[]): string[] | null {
  let changed = false;
  const out = args.map((a) =>
    a.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)([^/\s]*)(@)|([?&]password=)([^&\s]*)/gi, (_m, pre, _pw, at, q) => {
      changed = true;
      return pre !== undefined ? `${pre}***${at}` : `${q}***`;
    }),
  );
  return changed ? out : null;
}

/** True when the URL itself carries a password (it would show in the process list as a flag). */
export function urlHasPassword(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.password !== '' || u.searchParams.has('password');
  } catch {
    return false;
  }
}
