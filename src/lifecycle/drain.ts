import type { Server } from 'node:http';

/**
 * Graceful shutdown of a listener: stop accepting, close idle keep-alive connections, let
 * in-flight requests (uploads included) finish until the drain time, then cut what is left.
 * Resolves true when everything finished in time.
 */
export function drain(
  server: Server,
  inFlight: () => number,
  drainTimeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      clearInterval(sweeper);
      server.closeAllConnections();
      resolve(false);
    }, drainTimeoutMs);

    // Connections that finish their request go idle; close them as they do.
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearTimeout(deadline);
      clearInterval(sweeper);
      resolve(inFlight() === 0);
    });
    server.closeIdleConnections();
  });
}
