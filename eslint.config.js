// ESLint, flat config. typescript-eslint's type-aware rules read the types tsc sees (tsconfig.json):
// a promise nobody awaits, or one handed where a callback's result is ignored, is an error — the
// lab's correctness lives in its awaits (a transaction committed, a lock released, a server stopped).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'reports/', 'bench-results/', 'test-results/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Both are in recommendedTypeChecked; named here because the lab depends on them.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `_name`: unused on purpose (an Express error handler's fourth parameter), as tsc's noUnused* allow.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An async function without await is how this code returns the promise an interface asks for
      // (knex's migration source, a fault's inject step, a test's callback).
      '@typescript-eslint/require-await': 'off',
      // A `let` read by a closure before its one assignment cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read JSON answers, YAML and rows as `any` on purpose and assert on what they find: an unsafe
    // access there fails the test at once, which is what the no-unsafe rules exist to bring about.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The plain JavaScript (this file, the build script, the tests' module recorder) is in no tsconfig:
    // linted without types.
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
