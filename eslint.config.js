// @ts-check
// Lint rules for vidu-bot: typescript-eslint's type-aware `strictTypeChecked` set, with the
// few relaxations below. Formatting is Prettier's job (.prettierrc.json), so no stylistic rules.
// Keep this rule set stable: other branches are linted against it after merging.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'bench/results/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers and booleans in template literals are idiomatic (`${count} jobs`, `${ms} ms`);
      // objects, arrays, null and undefined stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Stylistic, not a bug finder: it refuses `return send(res, …)` ("answer and stop") in async
      // handlers and `(x) => sideEffect(x)` shorthands; tsc already refuses using a void value.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // tsconfig has noUncheckedIndexedAccess, so `arr[i]!` / `map.get(k)!` are the explicit marker
      // for an invariant the code has just established; refusing them would only add dead branches.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Rejecting/rethrowing `signal.reason` (typed any) or caught value is correct: it is whatever
      // the aborter or the callee chose, usually an Error or DOMException.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true, allowRethrowing: true }],
      // `[...text]` splits into code points on purpose (length limits, emoji-safe excerpts).
      '@typescript-eslint/no-misused-spread': ['error', { allow: [{ from: 'lib', name: 'string' }] }],
      // Dependency interfaces use method shorthand (STYLE.md: deps in one options object) and are
      // passed as values; none of them use `this`, and the rule cannot tell them from class methods.
      '@typescript-eslint/unbound-method': 'off',
      // `_`-prefixed names are deliberately unused (positional parameters, rest omission).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Fakes implement the bot's async interfaces with synchronous bodies.
      '@typescript-eslint/require-await': 'off',
      // `let x: T` is assigned in beforeAll; afterAll's `x?.close()` guards a failed setup, which
      // the types cannot see.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
);
