// The admin REST API's HTTP listener (STRATUS_ADMIN_PORT, bound to STRATUS_HOST).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { createAdminApp } from '../admin/app.js';
import type { MailStoreClient } from '../mailstore/client.js';
import type { Listener } from './tcp-listener.js';

export async function startAdminListener(host: string, port: number, store: MailStoreClient, logger: Logger): Promise<Listener> {
  const app = createAdminApp({ store, onError: (err) => logger.error({ err }, 'admin API failure') });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async closeConnections() {},
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
