// bench:proxy — the latency `tape proxy` adds, side by side with Portkey's gateway, against the
// same local upstream in this process. Bounded: every phase has a fixed number of calls.
//   npm run bench:proxy [-- --seconds 10 --rate 500 --streams 100 --calls 20000 --no-portkey]
// Needs: the build (done here), npm on PATH and the npm registry on the first run (Portkey).
import http from 'node:http';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';

const ROOT = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 500);
const STREAMS = arg('streams', 100);
const EVENTS = arg('events', 40);
const EVENT_MS = arg('event-ms', 25);
const ROUNDS = arg('rounds', 3);
const CALLS = arg('calls', 20_000);
const PORTKEY = !process.argv.includes('--no-portkey');
// Portkey is installed on first use into .bench-cache/portkey (git-ignored), at a pinned version so
// that figures compare across runs, and kept out of package.json so that `npm install` of tape does
// not pull a gateway's dependencies (ioredis, AWS signing...) into every checkout.
const PORTKEY_VERSION = '1.15.2';
const PORTKEY_DIR = join(ROOT, '.bench-cache/portkey');
const PORTKEY_PKG = join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway');
const PORTKEY_JS = join(PORTKEY_PKG, 'build/start-server.js');

function installedPortkey(): string | null {
  try {
    return (JSON.parse(readFileSync(join(PORTKEY_PKG, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function ensurePortkey(): void {
  if (installedPortkey() === PORTKEY_VERSION && existsSync(PORTKEY_JS)) return;
  process.stderr.write(`bench: installing @portkey-ai/gateway@${PORTKEY_VERSION} into .bench-cache/portkey (once, from the npm registry)\n`);
  mkdirSync(PORTKEY_DIR, { recursive: true });
  try {
    execFileSync('npm', ['install', '--prefix', PORTKEY_DIR, '--no-audit', '--no-fund', `@portkey-ai/gateway@${PORTKEY_VERSION}`], { stdio: 'inherit' });
  } catch {
    throw new Error(`bench: could not install @portkey-ai/gateway@${PORTKEY_VERSION} (offline?); run \`npm run bench:proxy -- --no-portkey\` to measure tape without it`);
  }
}

// ---------- the upstream: an OpenAI-shaped chat endpoint, JSON or SSE ----------
const served = new Map<string, number>();
const writeTimes = new Map<string, number>();
let seq = 0;
const JSON_BODY = (id: number) => JSON.stringify({ id: `chatcmpl-${id}`, object: 'chat.completion', created: 0, model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } });
const chunk = (id: number, content: string) => `data: {"id":"chatcmpl-${id}","object":"chat.completion.chunk","created":0,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;

function upstreamHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const id = ++seq;
    const who = String(req.headers['x-bench-target'] ?? 'unknown');
    served.set(who, (served.get(who) ?? 0) + 1);
    // the stream id rides in the body ("user": "<target>|<sid>"): gateways drop unknown headers
    const user = /"user":"([^"|]+)\|([^"]+)"/.exec(Buffer.concat(parts).toString('latin1'));
    const sid = user?.[2];
    if (sid === undefined) {
      const body = JSON_BODY(id);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': `bench-${id}` });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': `bench-${id}` });
    res.socket?.setNoDelay(true);
    let i = 0;
    const timer = setInterval(() => {
      if (i < EVENTS) {
        writeTimes.set(`${user![1]}:${sid}:${i}`, performance.now());
        res.write(chunk(id, `s${sid}e${i}`));
        i++;
        return;
      }
      clearInterval(timer);
      res.write(`data: {"id":"chatcmpl-${id}","object":"chat.completion.chunk","created":0,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":${EVENTS},"total_tokens":${12 + EVENTS}}}\n\ndata: [DONE]\n\n`);
      res.end();
    }, EVENT_MS);
    res.on('close', () => clearInterval(timer));
  });
}

// ---------- targets ----------
interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly pid?: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const streamBody = (user: string) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true }, user });

function call(t: Target, extra: Record<string, string> = {}, body = BODY, onData?: (s: string, at: number) => void): Promise<{ ttfb: number; total: number; ok: boolean }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let ttfb = 0;
    const req = http.request(t.url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', 'x-bench-target': t.name, ...t.headers, ...extra } }, (res) => {
      res.on('data', (c: Buffer) => {
        const now = performance.now();
        if (ttfb === 0) ttfb = now - t0;
        onData?.(c.toString('latin1'), now);
      });
      res.on('end', () => resolve({ ttfb, total: performance.now() - t0, ok: res.statusCode === 200 }));
      res.on('error', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
    });
    req.on('error', () => resolve({ ttfb, total: performance.now() - t0, ok: false }));
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2).padStart(7) : '    n/a');

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** user + system CPU time of a process so far, ms */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function sequential(t: Target, n: number) {
  const total: number[] = [];
  for (let i = 0; i < n; i++) total.push((await call(t)).total);
  return total;
}

async function sampled<T>(t: Target, fn: () => Promise<T>): Promise<[T, number]> {
  let peak = rssMb(t.pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(t.pid))), 200);
  try {
    return [await fn(), peak];
  } finally {
    clearInterval(timer);
  }
}

/** Open loop: a call every 1/RATE s for SECONDS, whatever the answers do. */
async function steady(t: Target) {
  const n = Math.round(RATE * SECONDS);
  const gap = 1000 / RATE;
  const out: Promise<{ ttfb: number; total: number; ok: boolean }>[] = [];
  const start = performance.now();
  for (let i = 0; i < n; ) {
    const due = start + i * gap;
    const now = performance.now();
    if (now < due) await new Promise((r) => setTimeout(r, Math.max(0, due - now - 0.5)));
    while (i < n && start + i * gap <= performance.now()) out.push(call(t)), i++;
  }
  const res = await Promise.all(out);
  return { ttfb: res.map((r) => r.ttfb), total: res.map((r) => r.total), failed: res.filter((r) => !r.ok).length };
}

/** STREAMS concurrent streams of EVENTS events each, ROUNDS times: delay of each event vs its write. */
async function streams(t: Target) {
  const delays: number[] = [];
  let failed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(Array.from({ length: STREAMS }, async (_, k) => {
      const sid = `${round}x${k}`;
      let carry = '';
      const r = await call(t, {}, streamBody(`${t.name}|${sid}`), (s, at) => {
        carry += s;
        const re = /s(\d+x\d+)e(\d+)/g;
        let m: RegExpExecArray | null;
        let last = 0;
        while ((m = re.exec(carry))) {
          const w = writeTimes.get(`${t.name}:${m[1]}:${m[2]}`);
          if (w !== undefined) delays.push(at - w);
          last = re.lastIndex;
        }
        carry = carry.slice(Math.max(last, carry.length - 32));
      });
      if (!r.ok) failed++;
    }));
  }
  return { delays, failed };
}

async function closedLoop(t: Target, n: number, concurrency: number) {
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      if (!(await call(t)).ok) failed++;
    }
  }));
  return failed;
}

async function waitFor(fn: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startChild(cmd: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ proc: ChildProcess; out: () => string }> {
  const proc = spawn(process.execPath, cmd, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return waitFor(() => ready.test(out) || proc.exitCode !== null, 30_000, cmd.join(' ')).then(() => {
    if (proc.exitCode !== null) throw new Error(`bench: ${cmd.join(' ')} exited: ${out.slice(-500)}`);
    return { proc, out: () => out };
  });
}

const BARE_PROXY = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
const up = Number(process.argv[1]);
const s = http.createServer((q, r) => {
  const u = http.request({ host: '127.0.0.1', port: up, method: q.method, path: q.url, headers: q.headers, agent }, (x) => { r.writeHead(x.statusCode, x.headers); x.pipe(r); });
  u.on('error', () => r.destroy());
  q.pipe(u);
});
s.keepAliveTimeout = 65000;
s.listen(0, '127.0.0.1', () => process.stderr.write('bare listening ' + s.address().port + '\\n'));
`;

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tape-bench-proxy-'));
  const children: ChildProcess[] = [];
  const upstream = http.createServer(upstreamHandler);
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const up = (upstream.address() as AddressInfo).port;
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
    const db = join(dir, 'tape.db');
    const tape = await startChild([join(ROOT, 'bin/tape'), 'proxy', '--db', db, '--port', '0', '--upstream', `openai=http://127.0.0.1:${up}`],
      { ...process.env, TAPE_STATE_DIR: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config') }, /listening on http:\/\/127\.0\.0\.1:\d+/);
    children.push(tape.proc);
    const tport = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(tape.out())![1]);
    const targets: Target[] = [
      { name: 'direct', url: `http://127.0.0.1:${up}/v1/chat/completions`, headers: {} },
      { name: 'tape', url: `http://127.0.0.1:${tport}/openai/v1/chat/completions`, headers: {}, pid: tape.proc.pid },
    ];
    // the floor: a bare node:http pipe, no parsing, no tape
    const bare = await startChild(['-e', BARE_PROXY, String(up)], process.env, /bare listening \d+/);
    children.push(bare.proc);
    const bport = Number(/bare listening (\d+)/.exec(bare.out())![1]);
    targets.push({ name: 'bare-node', url: `http://127.0.0.1:${bport}/v1/chat/completions`, headers: {}, pid: bare.proc.pid });
    if (PORTKEY) {
      ensurePortkey();
      const pport = await freePort();
      const pk = await startChild([PORTKEY_JS, `--port=${pport}`, '--headless'], { ...process.env, NODE_ENV: 'production' }, /Ready for connections/);
      children.push(pk.proc);
      targets.push({ name: 'portkey', url: `http://127.0.0.1:${pport}/v1/chat/completions`, headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `http://127.0.0.1:${up}/v1` }, pid: pk.proc.pid });
    }
    for (const t of targets) await closedLoop(t, 300, 10); // warm-up: JIT, sockets

    console.log(`\nsequential client, 2000 calls each, non-streaming; total time ms`);
    console.log('target      total p50 total p99  added p50 added p99');
    const qbase: Record<string, number> = {};
    for (const t of targets) {
      const r = await sequential(t, 2000);
      const p50 = pct(r, 50), p99 = pct(r, 99);
      if (t.name === 'direct') Object.assign(qbase, { p50, p99 });
      console.log(`${t.name.padEnd(10)} ${ms(p50)}   ${ms(p99)}   ${ms(p50 - qbase.p50!)}   ${ms(p99 - qbase.p99!)}`);
    }

    console.log(`\nsteady ${RATE} req/s for ${SECONDS} s (${RATE * SECONDS} calls each), non-streaming chat completions; ms`);
    console.log('target      ttfb p50  ttfb p99  total p50 total p99  added p50 added p99  failed  CPU/call  peak RSS');
    const base: Record<string, number> = {};
    for (const t of targets) {
      const cpu0 = cpuMs(t.pid);
      const [r, rss] = await sampled(t, () => steady(t));
      const cpu = t.pid ? `${((cpuMs(t.pid) - cpu0) / r.total.length * 1000).toFixed(0).padStart(5)} us` : '       -';
      const tp50 = pct(r.total, 50), tp99 = pct(r.total, 99);
      if (t.name === 'direct') Object.assign(base, { tp50, tp99 });
      console.log(`${t.name.padEnd(10)} ${ms(pct(r.ttfb, 50))}   ${ms(pct(r.ttfb, 99))}   ${ms(tp50)}   ${ms(tp99)}   ${ms(tp50 - base.tp50!)}   ${ms(tp99 - base.tp99!)}  ${String(r.failed).padStart(6)}  ${cpu}  ${t.pid ? rss.toFixed(0) + ' MB' : '-'}`);
    }

    console.log(`\n${STREAMS} concurrent streams x ${EVENTS} events every ${EVENT_MS} ms, ${ROUNDS} rounds; event delay = client receipt - upstream write, ms`);
    console.log('target      delay p50 delay p99  added p50 added p99  events  failed  peak RSS');
    const sbase: Record<string, number> = {};
    for (const t of targets) {
      const [r, rss] = await sampled(t, () => streams(t));
      const p50 = pct(r.delays, 50), p99 = pct(r.delays, 99);
      if (t.name === 'direct') Object.assign(sbase, { p50, p99 });
      console.log(`${t.name.padEnd(10)} ${ms(p50)}   ${ms(p99)}   ${ms(p50 - sbase.p50!)}   ${ms(p99 - sbase.p99!)}  ${String(r.delays.length).padStart(6)}  ${String(r.failed).padStart(6)}  ${t.pid ? rss.toFixed(0) + ' MB' : '-'}`);
      if (t.name === 'portkey' && r.delays.length === 0) {
        console.log('portkey: every stream failed (HTTP 500, its "TypeError: immutable" on Node 20, Portkey-AI/gateway#1550): no streaming figures for it');
      }
    }
    // checked by hand: Portkey 1.15.2 (and 1.9.8) on Node 20 answer every streamed chat completion with a 500
    // ("TypeError: immutable" in its ResponseService.updateHeaders: it appends headers to the upstream fetch
    // Response, whose headers are immutable; Portkey-AI/gateway#1389, #1550), so it has no streaming figures here

    const tapeT = targets[1]!;
    const t0 = performance.now();
    const [failed, rss] = await sampled(tapeT, () => closedLoop(tapeT, CALLS, 64));
    const secs = (performance.now() - t0) / 1000;
    tape.proc.kill('SIGTERM');
    await waitFor(() => tape.proc.exitCode !== null, 60_000, 'tape proxy to drain and exit');
    const reader = new Database(db, { readonly: true });
    const rows = (reader.prepare("SELECT count(*) AS n FROM tape WHERE source = 'proxy'").get() as { n: number }).n;
    const flagged = (reader.prepare("SELECT count(*) AS n FROM tape WHERE flags != 0").get() as { n: number }).n;
    reader.close();
    const sent = served.get('tape') ?? 0;
    console.log(`\n${CALLS} calls through tape proxy, 64 at a time: ${(CALLS / secs).toFixed(0)} calls/s, ${failed} failed, peak RSS ${rss.toFixed(0)} MB`);
    console.log(`tape rows ${rows} for ${sent} calls the upstream served through tape proxy (all phases): ${sent - rows} missing, ${flagged} flagged`);
    if (sent !== rows) process.exitCode = 1;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    agent.destroy();
    upstream.closeAllConnections();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
