// The few read/remove calls the runner makes after a container exits (inspect, remove, list
// networks), sent straight to the engine's API socket when it is the default local one: each
// docker CLI call costs a process start (100–300 ms), which a job that exits at once notices.
// Anything else (DOCKER_HOST, DOCKER_CONTEXT, no socket, an error) falls back to the CLI.
// Each call is one HTTP/1.0 request on a connection of its own: the engine (Go's net/http)
// answers it unchunked and closes the connection, so the body is what comes before the close.
// That spares loading node:http and its agent (~8 ms of each process's start, the watcher's
// and the runner's, measured with --cpu-prof) for three small requests.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';

const SOCKET = '/var/run/docker.sock';
/** The most of an answer kept: an inspect document is a few KB; a stats one less. */
const MAX_BYTES = 4_000_000;

export function engineSocket(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.DOCKER_HOST || env.DOCKER_CONTEXT) return null;
  return existsSync(SOCKET) ? SOCKET : null;
}

/** `HTTP/1.x <status> …` headers, a blank line, then the body; null when it is not that. */
export function parseEngineAnswer(raw: Buffer): { status: number; body: string } | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const status = /^HTTP\/1\.[01] (\d{3})[ \r]/.exec(raw.subarray(0, Math.min(end + 2, 200)).toString('latin1'));
  if (!status) return null;
  return { status: Number(status[1]), body: raw.subarray(end + 4).toString('utf8') };
}

/** One API call; null when it could not be made (then the caller uses the CLI). */
export function engineCall(
  socketPath: string,
  method: 'GET' | 'DELETE',
  path: string,
  timeoutMs = 30_000,
): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = createConnection({ path: socketPath });
    const settle = (answer: { status: number; body: string } | null): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => settle(null));
    socket.on('connect', () => socket.write(`${method} ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      if (size >= MAX_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    socket.on('end', () => settle(parseEngineAnswer(Buffer.concat(chunks))));
    socket.on('error', () => settle(null));
    socket.on('close', () => settle(parseEngineAnswer(Buffer.concat(chunks))));
  });
}
