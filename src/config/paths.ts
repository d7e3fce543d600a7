import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where tape keeps things (XDG base directories; `TAPE_*` and flags override). */
export interface TapePaths {
  readonly db: string;
  readonly config: string;
  readonly state: string;
  readonly data: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function resolvePaths(env: Env = process.env, dbFlag?: string): TapePaths {
  const home = env.HOME || homedir();
  const data = join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'tape');
  const configDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'tape');
  const state = env.TAPE_STATE_DIR || join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'tape');
  return {
    db: dbFlag || env.TAPE_DB || join(data, 'tape.db'),
    config: env.TAPE_CONFIG || join(configDir, 'config.json'),
    state,
    data,
  };
}
