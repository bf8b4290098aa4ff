// Lint guards the Temporal sandbox (no floating promises anywhere, no Node built-ins in workflows/) and
// the way imports point: the product never imports its tools, lib/'s layers one way, no import cycles.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** The product: what ships and runs in production. Tools (scripts/) and tests may import it, not the reverse. */
const PRODUCT = ['./api', './workers', './workflows', './activities', './lib'];
/** lib/'s layers, bottom first: each may import the ones before it, never one after it. */
const LIB_LAYERS = ['contracts', 'infra', 'store', 'prices', 'orders'];

export default defineConfig(
  {
    ignores: [
      'node_modules/**',
      '.stack/**',
      'dist/**',
      'coverage/**',
      'eslint.config.mjs',
      'jest.config.js',
      'test/support/closing-line-reporter.js',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // An async function without an await is how this code meets an async contract (an activity, a
      // Kafka handler, a waitFor probe, a test double): `async` says so better than Promise.resolve.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // @types/jest types expect's asymmetric matchers (expect.any, objectContaining, ...) as `any`.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      // Without a parser for .ts dependencies, no-cycle reads none of them and finds no cycle.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: PRODUCT,
              from: ['./scripts', './test'],
              message: 'The product imports neither scripts/ nor test/: move what it needs into lib/.',
            },
            {
              // The operator commands and the local stack run without the test tree (test/support is
              // shared with bench and chaos only).
              target: [
                './scripts/stack',
                './scripts/ops',
                './scripts/web',
                './scripts/cli.ts',
                './scripts/wait.ts',
              ],
              from: './test',
              message: 'The local stack and the operator commands do not import test/.',
            },
            {
              target: './lib',
              from: ['./api', './workers', './workflows', './activities'],
              message: 'lib/ is what the processes share: it imports none of them.',
            },
            // The top layer has none above it (and a zone's `from` may not be empty).
            ...LIB_LAYERS.slice(0, -1).map((layer, i) => ({
              target: `./lib/${layer}`,
              from: LIB_LAYERS.slice(i + 1).map((above) => `./lib/${above}`),
              message: `lib/ layers point one way (${LIB_LAYERS.join(' → ')} may import only those before them).`,
            })),
          ],
        },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'Workflow code runs in the Temporal sandbox: no Node built-ins.',
          })),
          patterns: [
            {
              group: ['../activities/*', '../lib/infra/*', '../lib/store/*'],
              // `import type` is how a workflow learns its activities' signatures (proxyActivities).
              allowTypeImports: true,
              message: 'Workflows do no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    // Routes speak HTTP only: Temporal and Redis are reached through lib/orders and lib/store.
    files: ['api/routes/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@temporalio/client', 'ioredis', 'kafkajs'].map((name) => ({
            name,
            message: 'api/routes speak HTTP only: use the services in RouteDeps (lib/orders, lib/store).',
          })),
          patterns: [
            {
              group: ['**/lib/infra/redis', '**/lib/infra/temporal', '**/lib/infra/kafka*'],
              message: 'api/routes speak HTTP only: use the services in RouteDeps (lib/orders, lib/store).',
            },
          ],
        },
      ],
    },
  },
);
