// ESLint flat config: recommended rules for JS and TS, Prettier owns the layout.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', '**/node_modules/', 'coverage/', 'test-artifacts/', 'bench/results/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      // `const WebSocket = require('ws')` shadows Node's global on purpose: the bench drives the `ws` client.
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['packages/client/src/connection.ts'],
    // `ws` is required on demand so browser bundles, which have a native WebSocket, can leave it out.
    rules: { '@typescript-eslint/no-require-imports': ['error', { allow: ['^ws$'] }] },
  },
  {
    files: ['web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    rules: {
      // `const { sequenceId: _sequenceId, ...rest } = frame` is how the code drops a field.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
      // The CLI and the user rules strip or refuse control characters, so their patterns name them.
      'no-control-regex': 'off',
    },
  },
  prettier,
  // After eslint-config-prettier, which turns max-len off: Prettier cannot break strings or comments.
  {
    rules: {
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
);
