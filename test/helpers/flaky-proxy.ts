import { createServer, type Server, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy that resets the first `resets` connections (as a load balancer restart would)
 * and forwards the rest to `target`.
 */
export async function flakyProxy(target: string, resets: number): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const t = new URL(target);
  let n = 0;
  const server: Server = createServer((sock) => {
    n++;
    if (n <= resets) {
      sock.resetAndDestroy();
      return;
    }
    const up = connect(Number(t.port), t.hostname);
    sock.pipe(up).pipe(sock);
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, connections: () => n, close: () => new Promise((r) => server.close(() => r())) };
}
