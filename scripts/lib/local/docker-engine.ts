// The few read/remove calls the runner makes after a container exits (inspect, remove, list
// networks), sent straight to the engine's API socket when it is the default local one: each
// docker CLI call costs a process start (100–300 ms), which a job that exits at once notices.
// Anything else (DOCKER_HOST, DOCKER_CONTEXT, no socket, an error) falls back to the CLI.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection } from 'node:net';

const SOCKET = '/var/run/docker.sock';

export function engineSocket(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.DOCKER_HOST || env.DOCKER_CONTEXT) return null;
  return existsSync(SOCKET) ? SOCKET : null;
}

/** One API call; null when it could not be made (then the caller uses the CLI). */
export function engineCall(
  socketPath: string,
  method: 'GET' | 'DELETE',
  path: string,
  timeoutMs = 30_000,
): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    // Its own connection to the socket, not through an http.Agent: the agent works out a TLS
    // server name for every request, whose first IP-address check compiles a regex that costs
    // each process ~5 ms (a runner asks after every container exits).
    const connect = () => createConnection({ path: socketPath });
    const req = request({ createConnection: connect, method, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4_000_000) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
