// A real headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: fd 3 to the browser, fd 4 from it, NUL-separated JSON), with no
// network and a fresh profile each time. Opens a file, waits for the page to say it is ready,
// collects console errors, exceptions and log errors (a CSP violation is one), evaluates an
// expression and takes a screenshot. Every wait is bounded; the browser is killed on the way out.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser's path, or null (the tests then say why they skip). */
export function chromiumPath(): string | null {
  const fromEnv = process.env.PIXI_CONDOR_TEST_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--remote-debugging-pipe',
];

export interface PageVisit<T> {
  /** Console errors, uncaught exceptions and log entries of level error, in order. */
  errors: string[];
  /** What `expression` evaluated to (JSON-serialisable). */
  value: T;
  /** The screenshot (PNG bytes), when asked for. */
  screenshot: Buffer | null;
  /** ms from navigation to the page's ready flag. */
  readyMs: number;
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

class Cdp {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  readonly listeners: ((method: string, params: Record<string, unknown>, session?: string) => void)[] = [];
  private readonly input: Writable;
  constructor(input: Writable, output: Readable) {
    this.input = input;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Record<string, unknown>;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
  }

  private dispatch(message: Record<string, unknown>): void {
    if (typeof message.id === 'number') {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      const error = message.error as { message?: string } | undefined;
      if (error) waiter?.reject(new Error(`CDP: ${error.message}`));
      else waiter?.resolve((message.result ?? {}) as Record<string, unknown>);
    } else if (typeof message.method === 'string') {
      for (const listen of this.listeners)
        listen(message.method, (message.params ?? {}) as Record<string, unknown>, message.sessionId as string);
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`chromium: ${what} took over ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Open `file` in a fresh headless Chromium, wait until `readyExpression` is true (polled in the
 * page), evaluate `expression`, optionally take a screenshot. Rejects after `timeoutMs` in all.
 */
export async function visitPage<T>(
  file: string,
  options: {
    readyExpression: string;
    expression: string;
    screenshot?: boolean;
    width?: number;
    height?: number;
    timeoutMs?: number;
  },
): Promise<PageVisit<T>> {
  const browser = chromiumPath();
  if (!browser) throw new Error('no chromium: apt-get install chromium');
  const profile = mkdtempSync(join(tmpdir(), 'pixi-condor-chromium-'));
  const child: ChildProcess = spawn(browser, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      const error = new Error(
        `chromium exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
      );
      cdp.failAll(error);
      reject(error);
    }),
  );
  exited.catch(() => {});
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    return await withTimeout(Promise.race([drive<T>(cdp, file, options), exited]), timeoutMs, `opening ${file}`);
  } finally {
    child.kill('SIGKILL');
    await withTimeout(
      new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve),
      ),
      10_000,
      'exiting',
    ).catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

async function drive<T>(
  cdp: Cdp,
  file: string,
  options: { readyExpression: string; expression: string; screenshot?: boolean; width?: number; height?: number },
): Promise<PageVisit<T>> {
  const errors: string[] = [];
  let loaded: () => void = () => {};
  const load = new Promise<void>((resolve) => {
    loaded = resolve;
  });
  cdp.listeners.push((method, params) => {
    if (method === 'Runtime.exceptionThrown') {
      const details = params.exceptionDetails as { text?: string; exception?: { description?: string } };
      errors.push(`exception: ${details.exception?.description ?? details.text}`);
    } else if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) {
      const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
      errors.push(`console.${params.type}: ${args.map((a) => a.value ?? a.description).join(' ')}`);
    } else if (method === 'Log.entryAdded') {
      const entry = params.entry as { level?: string; text?: string; url?: string };
      if (entry.level === 'error') errors.push(`log: ${entry.text}${entry.url ? ` (${entry.url})` : ''}`);
    } else if (method === 'Page.loadEventFired') loaded();
  });
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const send = (method: string, params: Record<string, unknown> = {}) => cdp.send(method, params, sessionId);
  await send('Runtime.enable');
  await send('Log.enable');
  await send('Page.enable');
  await send('Emulation.setDeviceMetricsOverride', {
    width: options.width ?? 1200,
    height: options.height ?? 900,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const started = performance.now();
  await send('Page.navigate', { url: pathToFileURL(file).href });
  await load;
  // Poll in the page (its own timers), so the wait ends on the page's event, not on ours.
  const ready = await send('Runtime.evaluate', {
    expression: `new Promise((resolve) => { const t0 = Date.now(); (function poll() { if (${options.readyExpression}) resolve(true); else if (Date.now() - t0 > 30000) resolve(false); else setTimeout(poll, 20); })(); })`,
    awaitPromise: true,
    returnByValue: true,
  });
  const readyMs = performance.now() - started;
  if ((ready.result as { value?: unknown }).value !== true) errors.push('page never became ready');
  const evaluated = await send('Runtime.evaluate', { expression: options.expression, returnByValue: true });
  if (evaluated.exceptionDetails) errors.push(`evaluate: ${JSON.stringify(evaluated.exceptionDetails)}`);
  let screenshot: Buffer | null = null;
  if (options.screenshot) {
    const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    screenshot = Buffer.from(shot.data as string, 'base64');
  }
  await cdp.send('Browser.close').catch(() => {});
  return { errors, value: (evaluated.result as { value: T }).value, screenshot, readyMs };
}
