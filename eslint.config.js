// ESLint (typescript-eslint, type-aware): a small rule set for the mistakes tsc lets through and that cost
// the most here: a promise nobody awaits (a lock released before the work under it ends, an error that
// escapes as an unhandled rejection and kills the CLI or the shim), an await of a non-promise, a promise
// passed where a boolean is tested, and (in src/) imports left unused. `npm run lint`; test/run.sh runs it
// after tsc before the whole suite. Import layering is checked by test/unit/layers.test.ts instead.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist.*/**', 'build-tsc/**', 'node_modules/**', 'native/**', 'completions/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // imports and locals left behind when code moves between modules (a restructure leaves them everywhere)
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', ignoreRestSiblings: true }] },
  },
);
