// Lint guards the Temporal sandbox: no floating promises anywhere, no Node built-ins in workflows/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
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
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
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
