// Bundles the CLI into one file: Ink's first frame is ~2.5x faster from a single
// bundled module than from node_modules resolution (DESIGN.md, measured).
import { build } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';

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
  plugins: [{
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
