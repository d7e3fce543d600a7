import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { runProxy } from './proxy.js';
import { runOtlp } from './otlp.js';
import { shipCommandRun } from './ship.js';
import { runWatch } from './watch.js';

interface DaemonArgs extends GlobalArgs {
  port: number;
  'otlp-port': number;
  otlp: boolean;
  upstream: string[];
  project?: string;
  'on-tape-error': string;
  ship: boolean;
  'ship-to'?: string;
  watch: boolean;
}

/**
 * The proxy and the OTLP receiver in one process, plus shipping (when a destination is
 * configured) and alerts (when an alert command is). Each part is the same code as its own
 * command; SIGINT/SIGTERM stops them all, draining the proxy's calls in flight.
 */
export async function runDaemon(a: DaemonArgs): Promise<number> {
  const ctx = makeContext(a);
  const base = { db: a.db, config: a.config };
  const parts: Promise<number>[] = [
    runProxy({
      ...base,
      port: a.port,
      listen: '127.0.0.1',
      'listen-any-i-know-what-i-am-doing': false,
      'allow-host': [],
      upstream: a.upstream,
      project: a.project,
      'on-tape-error': a['on-tape-error'],
      'print-env': false,
      'drain-timeout': 120,
      'min-free-mb': 64,
      sync: 'normal',
    } as Parameters<typeof runProxy>[0]),
  ];
  if (a.otlp) {
    parts.push(runOtlp({ ...base, port: a['otlp-port'], host: '127.0.0.1', 'allow-remote': false, project: a.project, 'max-body-mib': 16 } as Parameters<typeof runOtlp>[0]));
  }
  const shipTo = a['ship-to'] ?? ctx.env.TAPE_SHIP_TO ?? ctx.config.shipTo;
  if (a.ship && shipTo) parts.push(shipCommandRun({ ...base, to: a['ship-to'], follow: true }));
  if (a.watch && ctx.config.alertCommand) parts.push(runWatch({ ...base, every: '5s' } as Parameters<typeof runWatch>[0]));
  const codes = await Promise.all(parts);
  return codes.find((c) => c !== 0) ?? 0;
}

export const daemonCommand: CommandModule<GlobalArgs, DaemonArgs> = {
  command: 'daemon',
  describe: 'Run the proxy and the OTLP receiver together (and shipping and alerts when configured)',
  builder: (y) =>
    y
      .option('port', { type: 'number', default: 8787, describe: 'proxy port on 127.0.0.1' })
      .option('otlp-port', { type: 'number', default: 4318, describe: 'OTLP/HTTP port on 127.0.0.1' })
      .option('otlp', { type: 'boolean', default: true, describe: 'run the OTLP receiver (--no-otlp: proxy only)' })
      .option('upstream', { type: 'string', array: true, default: [], describe: 'provider=URL (default: the real APIs, or config "upstreams")' })
      .option('project', { type: 'string', describe: 'project for calls that name none' })
      .option('on-tape-error', { type: 'string', default: 'refuse', choices: ['refuse', 'forward'], describe: 'when the tape cannot be written: refuse calls (503) or forward and record late' })
      .option('ship', { type: 'boolean', default: true, describe: 'ship to PostgreSQL when a destination is configured (--no-ship: never)' })
      .option('ship-to', { type: 'string', describe: 'PostgreSQL URL (default $TAPE_SHIP_TO or config "ship_to")' })
      .option('watch', { type: 'boolean', default: true, describe: 'run alerts when "alert_command" is configured (--no-watch: never)' }) as never,
  handler: async (a) => {
    process.exitCode = await runDaemon(a);
  },
};
