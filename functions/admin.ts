// The admin REST API as a Lambda handler (API Gateway → hono/aws-lambda): the same Hono routes `npm start` serves.
// The admin.* operations run in this process (inline), on the store built once per container.
import { handle } from 'hono/aws-lambda';
import { createAdminApp } from '../src/admin/app.js';
import { loadConfig } from '../src/config.js';
import { openStore, type Store } from '../src/server/store.js';

let store: Store | undefined;
const app = createAdminApp({
  store: () => (store ??= openStore({ ...loadConfig(), functions: 'inline' })).client,
  onError: (err) => console.error('admin API failure', err instanceof Error ? err.message : String(err)),
});

export const handler = handle(app);
