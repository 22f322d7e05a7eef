const fs = require('node:fs');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const { createTypeScriptImportResolver } = require('eslint-import-resolver-typescript');
const noImportCycle = require('./eslint-rules/no-import-cycle');

// The layers of src/, lowest first (docs/ARCHITECTURE.md "Layers, and what may import what"): a
// module may import its own layer and the layers before it, never one after it. Type-only imports
// count too: a type that climbs a layer ties the lower layer to the higher one all the same.
const LAYERS = [
  ['errors.ts', 'log', 'tasks.ts'],
  ['domain'],
  ['store'],
  ['verify'],
  ['destinations', 'metrics'],
  ['events', 'api'],
  ['deps-types.ts'],
  ['monitor'],
  ['slack'],
  ['app.ts', 'config.ts', 'deps.ts', 'partition-credentials.ts', 'startup-checks.ts'],
  ['index.ts', 'tunnel.ts', 'tools'],
];

// A new folder or top-level module of src/ must take its place above, or lint stops here.
const unplaced = fs
  .readdirSync(`${__dirname}/src`)
  .filter((entry) => !LAYERS.flat().includes(entry));
if (unplaced.length > 0) {
  throw new Error(`eslint.config.js: give src/${unplaced.join(', src/')} a layer in LAYERS`);
}

const layerZones = LAYERS.slice(0, -1).flatMap((layer, i) =>
  layer.map((target) => ({
    target: `./src/${target}`,
    from: LAYERS.slice(i + 1)
      .flat()
      .map((above) => `./src/${above}`),
    message: `src/${target} may not import a layer above its own: see docs/ARCHITECTURE.md "Layers, and what may import what".`,
  })),
);

module.exports = tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'coverage/', 'node_modules/', '.runtimes/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX, local: { rules: { 'no-import-cycle': noImportCycle } } },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      'local/no-import-cycle': ['error', { root: 'src' }],
    },
  },
  {
    // Files a newcomer reads in one sitting: long units become named module-level functions.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
);
