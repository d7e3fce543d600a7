import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { onShutdown, untilStopped } from '../lifecycle.js';
import { TapeError, ExitCode } from '../../errors.js';
import { envLines, resolveUpstreams, startProxy } from '../../proxy/index.js';
import type { OnTapeError } from '../../proxy/recorder.js';
import { validProject } from '../../proxy/route.js';

interface ProxyArgs extends GlobalArgs {
  port: number;
  listen: string;
  'listen-any-i-know-what-i-am-doing': boolean;
  'allow-host': string[];
  upstream: string[];
  project?: string;
  'on-tape-error': string;
  'print-env': boolean;
  'drain-timeout': number;
  'min-free-mb': number;
  sync: string;
}

export async function runProxy(a: ProxyArgs): Promise<number> {
  const ctx = makeContext(a);
  const project = a.project ?? ctx.config.defaultProject;
  if (!validProject(project)) throw new TapeError(`project "${project}" must be 1-64 letters, digits or ._:@+-`, ExitCode.usage);
  if (a['print-env']) {
    if (!(a.port > 0)) throw new TapeError('--print-env needs the port the proxy listens on: pass --port N (not 0)', ExitCode.usage);
    const host = a.listen.includes(':') ? `[${a.listen}]` : a.listen;
    for (const line of envLines(`http://${host}:${a.port}`, a.project ?? null)) process.stdout.write(line + '\n');
    return 0;
  }
  if (a['on-tape-error'] !== 'refuse' && a['on-tape-error'] !== 'forward') {
    throw new TapeError('--on-tape-error must be refuse or forward', ExitCode.usage);
  }
  const upstreams = resolveUpstreams(ctx.config.upstreams, a.upstream);
  const proxy = await startProxy({
    dbPath: ctx.paths.db,
    prices: ctx.prices(),
    stateDir: ctx.paths.state,
    upstreams,
    defaultProject: project,
    port: a.port,
    listen: a.listen,
    listenAny: a['listen-any-i-know-what-i-am-doing'],
    allowHosts: a['allow-host'],
    host: ctx.config.host ?? undefined,
    onTapeError: a['on-tape-error'] as OnTapeError,
    minFreeBytes: a['min-free-mb'] * 1048576,
    drainTimeoutMs: a['drain-timeout'] * 1000,
    sync: a.sync === 'full' ? 'full' : 'normal',
  });
  onShutdown(() => proxy.close());
  if (proxy.recovered > 0) process.stderr.write(`tape proxy: ${proxy.recovered} calls from the last run never finished; written as outcome_unknown\n`);
  const ups = [...upstreams].map(([p, u]) => `${p}=${u.url.origin}${u.basePath}`).join(' ');
  process.stderr.write(`tape proxy: listening on http://${a.listen}:${proxy.port} (tape ${ctx.paths.db}; upstreams ${ups}); Ctrl-C stops\n`);
  await untilStopped();
  process.stderr.write('tape proxy: stopping; draining calls in flight\n');
  await proxy.close();
  return 0;
}

export const proxyCommand: CommandModule<GlobalArgs, ProxyArgs> = {
  command: 'proxy',
  describe: 'Run the recording proxy: point SDK base URLs at it, every call becomes a row',
  builder: (y) =>
    y
      .option('port', { type: 'number', default: 8787, describe: 'port to listen on (0: any free port)' })
      .option('listen', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (loopback only unless told otherwise)' })
      .option('listen-any-i-know-what-i-am-doing', { type: 'boolean', default: false, describe: 'allow a non-loopback --listen address' })
      .option('allow-host', { type: 'string', array: true, default: [], describe: 'extra Host header names to accept' })
      .option('upstream', { type: 'string', array: true, default: [], describe: 'provider=URL, e.g. anthropic=http://127.0.0.1:9000 (default: the real APIs, or config "upstreams")' })
      .option('project', { type: 'string', describe: 'project for calls that name none (default: config default_project)' })
      .option('on-tape-error', { type: 'string', default: 'refuse', choices: ['refuse', 'forward'], describe: 'when the tape cannot be written: refuse calls (503) or forward and record late' })
      .option('print-env', { type: 'boolean', default: false, describe: 'print the environment lines that point the SDKs here, and exit' })
      .option('drain-timeout', { type: 'number', default: 120, describe: 'on SIGTERM, seconds to let streams in flight finish' })
      .option('min-free-mb', { type: 'number', default: 64, describe: 'refuse calls when the tape disk has less free space (MiB)' })
      .option('sync', { type: 'string', default: 'normal', choices: ['normal', 'full'], describe: 'tape commits: normal survives a killed proxy; full also survives power loss but stalls streams on each fsync' }),
  handler: async (a) => {
    process.exitCode = await runProxy(a);
  },
};
