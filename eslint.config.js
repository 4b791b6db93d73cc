// Lint is part of `npm test`. The layer rules below keep imports pointing down the table in DESIGN.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message: why })) }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'cdk.out/', '.cache/', '.test-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer(['src/storage/**'], ['**/mime/**', '**/mailstore/**', '**/auth/**', '**/imap/**', '**/server/**', '**/notify/**', '**/admin/**'], 'storage imports nothing of ours (DESIGN.md layout)'),
  layer(['src/mime/**'], ['**/storage/**', '**/mailstore/**', '**/auth/**', '**/imap/**', '**/server/**', '**/notify/**', '**/admin/**'], 'mime imports nothing of ours (DESIGN.md layout)'),
  layer(['src/auth/**'], ['**/mime/**', '**/mailstore/**', '**/imap/**', '**/server/**', '**/notify/**', '**/admin/**'], 'auth may import storage only (DESIGN.md layout)'),
  layer(['src/mailstore/**'], ['**/imap/**', '**/pop3/**', '**/lmtp/**', '**/server/**', '**/admin/**'], 'the mailstore never knows which protocol asked (DESIGN.md layout)'),
  layer(['src/imap/**', 'src/pop3/**', 'src/lmtp/**', 'src/admin/**'], ['**/storage/**', '**/storage', '**/server/**', '**/mailstore/*/**'], 'protocols use the MailStore API only, never storage (DESIGN.md layout)'),
);
