import type { CommandModule } from 'yargs';
import { makeContext, type GlobalArgs } from '../context.js';
import { openWriter } from '../../tape/db.js';
import { TapeWriter } from '../../tape/writer.js';
import { startOtlpReceiver } from '../../otlp/receiver.js';
import { TapeError, ExitCode } from '../../errors.js';
import { onShutdown, untilStopped } from '../lifecycle.js';

interface OtlpArgs extends GlobalArgs {
  port: number;
  host: string;
  'allow-remote': boolean;
  project?: string;
  'max-body-mib': number;
}

export async function runOtlp(a: OtlpArgs): Promise<number> {
  const ctx = makeContext(a);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new TapeError(`--port must be a port number (0-65535), got ${a.port}`, ExitCode.usage);
  if (!(a['max-body-mib'] > 0)) throw new TapeError('--max-body-mib must be above 0', ExitCode.usage);
  const db = openWriter(ctx.paths.db);
  const writer = new TapeWriter(db, ctx.prices(), { path: ctx.paths.db, host: ctx.config.host ?? undefined });
  onShutdown(() => {
    writer.close();
    db.close();
  });
  const receiver = await startOtlpReceiver({
    writer,
    host: a.host,
    port: a.port,
    allowRemote: a['allow-remote'],
    project: a.project ?? ctx.config.defaultProject,
    maxBodyBytes: Math.round(a['max-body-mib'] * 1024 * 1024),
  });
  onShutdown(() => receiver.close());
  const where = receiver.host.includes(':') ? `[${receiver.host}]` : receiver.host;
  process.stderr.write(`tape otlp: listening on http://${where}:${receiver.port}/v1/traces, writing to ${ctx.paths.db}; Ctrl-C stops\n`);
  await untilStopped();
  await receiver.close();
  const s = receiver.stats;
  process.stderr.write(`tape otlp: stopped; ${s.requests} requests, ${s.spans} spans: ${s.rows} rows written, ${s.duplicates} duplicates, ${s.rejected} rejected, ${s.ignored} not model calls\n`);
  return 0;
}

export const otlpCommand: CommandModule<GlobalArgs, OtlpArgs> = {
  command: 'otlp',
  describe: 'Receive OpenTelemetry traces (OTLP/HTTP, JSON or protobuf) and put LLM spans on the tape',
  builder: (y) =>
    y
      .option('port', { type: 'number', default: 4318, describe: 'port to listen on (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (loopback only, unless --allow-remote)' })
      .option('allow-remote', { type: 'boolean', default: false, describe: 'allow a non-loopback --host: anyone who reaches it can write to the tape' })
      .option('project', { type: 'string', describe: 'project for spans that name none (default: the config file\'s, else "default")' })
      .option('max-body-mib', { type: 'number', default: 20, describe: 'largest request body accepted, after decompression, MiB' }),
  handler: async (a) => {
    process.exitCode = await runOtlp(a);
  },
};
