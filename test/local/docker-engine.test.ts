// The engine API client (docker-engine.ts) against a stand-in engine on a Unix socket that
// answers as Go's net/http answers an HTTP/1.0 request: unchunked, the connection closed after
// the body. The Docker tests (local-docker.test.ts) use it against the real engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineCall, parseEngineAnswer } from '../../scripts/lib/local/docker-engine.ts';

/** A stand-in engine: records each request's first line, answers with `reply(line)` and closes. */
async function standIn(
  reply: (line: string) => string | null,
): Promise<{ path: string; lines: string[]; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-engine-'));
  const path = join(dir, 'docker.sock');
  const lines: string[] = [];
  const server: Server = createServer((socket) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += String(chunk);
      if (!text.includes('\r\n\r\n')) return;
      const line = text.split('\r\n')[0]!;
      lines.push(line);
      const answer = reply(line);
      if (answer === null) return; // never answers: the caller's timeout must end the wait
      socket.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    lines,
    close: () => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('parseEngineAnswer: the status and the body after the blank line; null for what is not HTTP', () => {
  const ok = parseEngineAnswer(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":"ü"}\n'));
  assert.equal(ok, { status: 200, body: '{"a":"ü"}\n' });
  assert.equal(parseEngineAnswer(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')), { status: 204, body: '' });
  assert.is(parseEngineAnswer(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: x')), null, 'cut before the body');
  assert.is(parseEngineAnswer(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), null);
});

test('engineCall sends one HTTP/1.0 request and reads the answer to the close; a large body whole', async () => {
  const big = JSON.stringify({ State: { OOMKilled: true }, Pad: 'x'.repeat(300_000) });
  const engine = await standIn((line) =>
    line.startsWith('GET /containers/')
      ? `HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${big}`
      : 'HTTP/1.0 404 Not Found\r\n\r\n{"message":"No such container: gone"}',
  );
  try {
    const answer = await engineCall(engine.path, 'GET', '/containers/job%201/json');
    assert.is(answer?.status, 200);
    assert.is(JSON.parse(answer!.body).State.OOMKilled, true);
    assert.is(answer!.body.length, big.length);
    const removed = await engineCall(engine.path, 'DELETE', '/containers/gone?force=true&v=true');
    assert.equal(removed, { status: 404, body: '{"message":"No such container: gone"}' });
    assert.equal(engine.lines, [
      'GET /containers/job%201/json HTTP/1.0',
      'DELETE /containers/gone?force=true&v=true HTTP/1.0',
    ]);
  } finally {
    engine.close();
  }
});

test('engineCall says null (the caller falls back to the CLI) for no socket, a garbled answer, or none in time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-engine-'));
  try {
    assert.is(await engineCall(join(dir, 'no.sock'), 'GET', '/networks'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const garbled = await standIn(() => 'not http at all');
  try {
    assert.is(await engineCall(garbled.path, 'GET', '/networks'), null);
  } finally {
    garbled.close();
  }
  const silent = await standIn(() => null);
  try {
    assert.is(await engineCall(silent.path, 'GET', '/networks', 200), null);
  } finally {
    silent.close();
  }
});

test.run();
