/**
 * The semantic theme: components ask for `theme.model('opus')` or `theme.warn`, never a colour.
 * Colour honours NO_COLOR and FORCE_COLOR; every model family also has a letter, so nothing on
 * screen depends on colour alone. Styles are plain string functions, so one line of the screen
 * is one Ink <Text> (cheap to lay out at 10 frames a second).
 */
import chalk, { Chalk, type ChalkInstance, type ColorSupportLevel } from 'chalk';

export type Family = 'opus' | 'sonnet' | 'haiku' | 'gpt' | 'gemini' | 'other';
export const FAMILIES: readonly Family[] = ['opus', 'sonnet', 'haiku', 'gpt', 'gemini', 'other'];

/** One letter per family, shown beside every model name and under every ticker bar. */
export const FAMILY_LETTER: Readonly<Record<Family, string>> = { opus: 'O', sonnet: 'S', haiku: 'H', gpt: 'G', gemini: 'M', other: 'x' };

const familyCache = new Map<string, Family>();

/** The family of a model name, as the provider spelled it. */
export function familyOf(model: string): Family {
  let f = familyCache.get(model);
  if (f) return f;
  const m = model.toLowerCase();
  if (m.includes('opus')) f = 'opus';
  else if (m.includes('sonnet')) f = 'sonnet';
  else if (m.includes('haiku')) f = 'haiku';
  else if (m.includes('gemini')) f = 'gemini';
  else if (/(^|[^a-z])(gpt|o[134])([^a-z]|$)|chatgpt|gpt-/.test(m)) f = 'gpt';
  else f = 'other';
  if (familyCache.size < 10_000) familyCache.set(model, f);
  return f;
}

type Style = (s: string) => string;

export interface Theme {
  readonly level: ColorSupportLevel;
  model(f: Family): Style;
  readonly warn: Style; // 429s, stale prices, "watch"
  readonly error: Style; // 5xx, incidents, AHEAD
  readonly good: Style; // UNDER, ok
  readonly dim: Style;
  readonly bold: Style;
  readonly title: Style;
  readonly selected: Style;
  /** "block prints": two tiers of cost */
  readonly block1: Style;
  readonly block2: Style;
  readonly key: Style;
}

const FAMILY_COLOUR: Readonly<Record<Family, 'magenta' | 'cyan' | 'green' | 'blue' | 'yellow' | 'gray'>> = {
  opus: 'magenta',
  sonnet: 'cyan',
  haiku: 'green',
  gpt: 'blue',
  gemini: 'yellow',
  other: 'gray',
};

export function makeTheme(c: ChalkInstance): Theme {
  const fam = Object.fromEntries(FAMILIES.map((f) => [f, (s: string) => c[FAMILY_COLOUR[f]](s)])) as Record<Family, Style>;
  return {
    level: c.level,
    model: (f) => fam[f],
    warn: (s) => c.yellow(s),
    error: (s) => c.red(s),
    good: (s) => c.green(s),
    dim: (s) => c.dim(s),
    bold: (s) => c.bold(s),
    title: (s) => c.bold.underline(s),
    selected: (s) => c.inverse(s),
    block1: (s) => c.bold(s),
    block2: (s) => c.bold.inverse(s),
    key: (s) => c.bold.cyan(s),
  };
}

/**
 * The colour level from the environment: NO_COLOR (any non-empty value) turns colour off, which
 * chalk 5 does not do by itself; FORCE_COLOR is read by chalk. Sets the shared chalk level too,
 * so Ink's own colours follow.
 */
export function themeFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') chalk.level = 0;
  return makeTheme(chalk);
}

/** A theme at a fixed colour level (tests). */
export function themeAt(level: ColorSupportLevel): Theme {
  return makeTheme(new Chalk({ level }));
}
