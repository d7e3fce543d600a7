import { resolvePaths, type Env, type TapePaths } from '../config/paths.js';
import { loadConfig, type TapeConfig } from '../config/config.js';
import { PriceBook } from '../pricing/price-book.js';
import { loadPriceBook } from '../pricing/load.js';

/** What every command needs, resolved once from flags, environment and the config file. */
export interface Context {
  readonly paths: TapePaths;
  readonly config: TapeConfig;
  readonly env: Env;
  prices(): PriceBook;
}

export interface GlobalArgs {
  readonly db?: string;
  readonly config?: string;
}

export function makeContext(args: GlobalArgs, env: Env = process.env): Context {
  const paths = resolvePaths(args.config ? { ...env, TAPE_CONFIG: args.config } : env, args.db);
  const config = loadConfig(paths.config);
  let book: PriceBook | null = null;
  return {
    paths,
    config,
    env,
    prices() {
      book ??= loadPriceBook(config, paths);
      return book;
    },
  };
}
