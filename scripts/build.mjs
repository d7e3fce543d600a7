// Bundles the CLI into one file: Ink's first frame is ~2.5x faster from a single
// bundled module than from node_modules resolution (DESIGN.md, measured).
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const src = (rel) => new URL(`../src/${rel}`, import.meta.url).pathname;

/**
 * Ink 6 keeps module-level caches of every text it ever measured or wrapped (measure-text.js,
 * wrap-text.js), so a screen left open for days grows without bound (~35 KB/s at 100 calls/s,
 * measured with heap snapshots). Ink 7 bounds them but needs Node 22; the bundle takes ink's two
 * modules from src/ui/ink-fixes instead: the same code with bounded caches. Their own imports
 * (widest-line, wrap-ansi, cli-truncate) resolve from ink's folder, so they use ink's versions.
 * The build fails if ink's files no longer look like what the fixes replace (an ink upgrade).
 */
const inkBuild = dirname(createRequire(import.meta.url).resolve('ink'));
const inkTextCaches = {
  name: 'ink-bounded-text-caches',
  setup(b) {
    const replaced = new Set();
    b.onResolve({ filter: /^\.\/(measure-text|wrap-text)\.js$/ }, (args) => {
      if (args.resolveDir !== inkBuild) return undefined;
      const name = args.path.slice(2, -3);
      const original = readFileSync(join(inkBuild, `${name}.js`), 'utf8');
      if (!/^const cache = (new Map\(\)|\{\});$/m.test(original)) {
        throw new Error(`ink's ${name}.js changed (no unbounded module-level cache in it): check src/ui/ink-fixes/${name}.ts against it`);
      }
      replaced.add(name);
      return { path: src(`ui/ink-fixes/${name}.ts`) };
    });
    b.onResolve({ filter: /^(widest-line|wrap-ansi|cli-truncate)$/ }, (args) =>
      args.importer.includes('/src/ui/ink-fixes/') ? b.resolve(args.path, { kind: args.kind, resolveDir: inkBuild }) : undefined);
    b.onEnd((r) => {
      if (r.errors.length === 0 && replaced.size !== 2) throw new Error(`ink's text caches were not replaced (${[...replaced].join(', ') || 'none'}): the bundle would leak`);
    });
  },
};

mkdirSync(new URL('../dist', import.meta.url), { recursive: true });
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/tape.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // Native addons and optional peers stay outside the bundle.
  external: ['better-sqlite3', 'pg-native'],
  // Ink imports react-devtools-core only when DEV=true; bundled, that import is hoisted and would
  // fail at start-up when the package is absent, so it becomes an inert stub.
  plugins: [inkTextCaches, {
    name: 'no-react-devtools',
    setup(b) {
      b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };' }));
    },
  }],
  define: {
    'process.env.NODE_ENV': '"production"',
    // the bundle has no node_modules/@pydantic/genai-prices/package.json to ask at run time
    __GENAI_PRICES_VERSION__: JSON.stringify(
      JSON.parse(readFileSync(new URL('../node_modules/@pydantic/genai-prices/package.json', import.meta.url), 'utf8')).version,
    ),
  },
  banner: {
    js: "import { createRequire as __tapeCreateRequire } from 'node:module'; const require = __tapeCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
