import type { Server } from 'node:http';

/** The port to listen on: first argument, else `PORT`, else an ephemeral one. */
export function portFromArgs(): number {
  return Number(process.argv[2] ?? process.env.PORT ?? 0);
}

/**
 * Listens on 127.0.0.1, prints `READY <port>` for the bench, and exits when the bench closes our stdin
 * (so a baseline never outlives a bench that was killed) or on SIGTERM.
 */
export function listenAndAnnounce(server: Server, port: number): void {
  server.keepAliveTimeout = 30_000;
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address();
    console.log(`READY ${typeof addr === 'object' && addr ? addr.port : port}`);
  });
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
