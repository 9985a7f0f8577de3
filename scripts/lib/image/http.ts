// The few HTTP requests build-image makes to a registry (manifest HEAD/GET/PUT, a token GET),
// with node:http/node:https rather than fetch: fetch's first call starts undici (~30 ms), a
// good part of a no-op run. Bounded in time (timeoutMs for the whole exchange) and in memory
// (maxBytes of body); redirects of GET/HEAD are followed as fetch does, without the
// Authorization header when they leave the origin.

export interface HttpResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  body: Buffer;
  text(): string;
  json(): unknown;
}

export interface HttpRequest {
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer;
  /** A body too large to hold (a SIF blob): opened anew for each attempt, streamed. */
  stream?: () => NodeJS.ReadableStream;
  timeoutMs: number;
  /** Largest body read (default 16 MiB: a manifest or an index is a few KiB). */
  maxBytes?: number;
}

/** A failure before any answer: `code` is the socket's (ECONNREFUSED…), TimeoutError or TooLarge. */
export class HttpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function httpRequest(url: string, request: HttpRequest): Promise<HttpResponse> {
  const deadline = Date.now() + request.timeoutMs;
  let target = new URL(url);
  let headers = { ...request.headers };
  for (let hop = 0; hop <= 5; hop++) {
    const response = await once(target, { ...request, headers }, deadline);
    const location = response.headers.get('location');
    const method = request.method ?? 'GET';
    if (!REDIRECTS.has(response.status) || !location || method === 'PUT' || method === 'POST') return response;
    const next = new URL(location, target);
    if (next.origin !== target.origin) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    target = next;
  }
  throw new HttpError('TooManyRedirects', `more than 5 redirects from ${url}`);
}

async function once(url: URL, request: HttpRequest, deadline: number): Promise<HttpResponse> {
  // getBuiltinModule, not import(): an ESM import of node:http reads every export, and its lazy
  // WebSocket getter loads undici (the cost this module exists to avoid).
  const { request: send } =
    url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  const maxBytes = request.maxBytes ?? 16 * 2 ** 20;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: request.method ?? 'GET', headers: request.headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy(new HttpError('TooLarge', `the answer is larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => fail(error));
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: {
            get: (name) => {
              const value = res.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            },
          },
          body,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')) as unknown,
        });
      });
    });
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(
        error instanceof HttpError
          ? error
          : new HttpError((error as NodeJS.ErrnoException).code ?? error.name, error.message),
      );
    };
    const timer = setTimeout(
      () => req.destroy(new HttpError('TimeoutError', 'no answer in time')),
      Math.max(0, deadline - Date.now()),
    );
    req.on('error', fail);
    if (request.stream) {
      const body = request.stream();
      body.on('error', (error: Error) => req.destroy(error));
      body.pipe(req);
    } else req.end(request.body);
  });
}
