// @ts-check
/**
 * ESLint for the extensions and their tests (`make node-lint`): the recommended rules,
 * plus the few that catch real mistakes in this code (loose equality, unused names).
 * tsc (tsconfig.json) checks the types; this checks the rest.
 */
import js from '@eslint/js';
import globals from 'globals';

const webext = { ...globals.browser, ...globals.webextensions, messenger: 'readonly' };

export default [
  { ignores: ['node_modules/**'] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
      'no-var': 'error',
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-shadow': 'error',
      'no-implicit-coercion': ['error', { allow: ['!!'] }],
      'no-throw-literal': 'error',
      'no-promise-executor-return': 'error',
      'no-unsafe-optional-chaining': 'error',
      curly: ['error', 'multi-line'],
    },
  },
  { files: ['common/**/*.js', 'chrome/**/*.js', 'thunderbird/**/*.js'], languageOptions: { globals: webext } },
  // Content scripts are classic scripts: this one loads the module that is.
  { files: ['chrome/gmail/loader.js'], languageOptions: { sourceType: 'script' } },
  // Node, with the DOM classes test/dom.js puts on globalThis from jsdom.
  {
    files: ['test/**/*.js', 'eslint.config.js'],
    languageOptions: {
      globals: { ...globals.node, ...Object.fromEntries(['DOMParser', 'Node', 'Range', 'InputEvent', 'Event', 'MutationObserver'].map((n) => [n, 'readonly'])) },
    },
  },
  // The end-to-end tests hand functions to the page (page.evaluate, waitForFunction).
  { files: ['test/e2e/**/*.js'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  // Test code that runs inside the browser or Thunderbird.
  { files: ['test/thunderbird-driver/**/*.js', 'test/fixtures/**/*.js'], languageOptions: { globals: webext } },
];
