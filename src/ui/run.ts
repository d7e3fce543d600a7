import type { ReadArgs } from '../cli/commands/read.js';

/** The live screen. Until it lands, a terminal gets the plain stream. */
export async function runScreen(a: ReadArgs): Promise<number> {
  const { streamCommand } = await import('../cli/commands/read.js');
  return streamCommand(a, 'plain');
}
