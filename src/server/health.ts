// The load balancer's health endpoint (STRATUS_HEALTH_PORT): GET /health answers 200 while this process serves
// and 503 once it drains (SIGTERM), so the NLB stops sending new connections while open sessions finish.
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { listenOn } from './tcp-listener.js';

export interface HealthEndpoint {
  port: number;
  draining(): void;
  close(): Promise<void>;
}

export async function startHealthEndpoint(host: string, port: number, logger: Logger): Promise<HealthEndpoint> {
  let serving = true;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(serving ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' });
    res.end(JSON.stringify({ status: serving ? 'serving' : 'draining' }));
  });
  server.on('error', (err) => logger.error({ err }, 'health endpoint error'));
  const bound = await listenOn(server, host, port);
  logger.info({ host, port: bound }, 'health endpoint listening');
  return {
    port: bound,
    draining() {
      serving = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
