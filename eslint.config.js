// Lint without type information, so it stays fast; the type check (`tsc --noEmit`) does the rest.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// The few Node globals the plain-JS scripts and configs use (no `globals` package needed for that).
const nodeGlobals = {
  console: 'readonly',
  process: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};

export default defineConfig(
  globalIgnores([
    'dist/',
    'storybook-static/',
    'node_modules/',
    'coverage/',
    'test-results/',
    '.data/',
    'custom-elements.json',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter an interface requires but this implementation does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // A visible `any` is a reviewable choice (JSON from the wire, test doubles), not a build failure.
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      // Validation and sanitising strip control characters on purpose.
      'no-control-regex': 'off',
      // Flags the defensive `let x = default; try { x = … }` pattern more often than dead code.
      'no-useless-assignment': 'off',
      // `interface Stored extends Outgoing {}` names a role; only an empty `{}` type is a mistake.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    // Tests fake what they need and assert on loose shapes; chai's `expect(x).to.be.true` is an expression.
    files: ['test/**/*.ts', 'stories/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
