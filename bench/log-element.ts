/**
 * 3. Log element: `<notification-log>` on the MemoryAdapter with 100,000 rows in Chromium, scrolled
 * from the top to the last row the way a fast reader drags the scrollbar (a fixed distance each frame,
 * the next pages fetched as the end of the loaded rows nears). Measured in the page: the largest number
 * of row nodes in its shadow DOM at any frame, and the time between animation frames.
 *
 * The page is built with Vite's API from the sources (production mode, minified) into a temporary
 * folder and served by a small static server on a free port.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';
import { viteBuild } from '../src/demo/build.js';
import { ROOT, percentile, round, type Report } from './lib.js';

const ROWS = Number(process.env.BENCH_ELEMENT_ROWS ?? 100_000);
/** A mouse wheel: about a row and a half a frame. */
const GENTLE_PX = 50;
const GENTLE_FRAMES = 300;
/** A fast drag of the scrollbar: 100 rows a frame, so 1,000 frames for 100,000 rows. */
const FAST_PX = 3600;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

function serveStatic(dir: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    const file = path.endsWith(sep) ? join(path, 'index.html') : path;
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen(server)));
}

interface ScrollResult {
  frames: number[];
  maxRows: number;
  maxElements: number;
  loaded: number;
  scrollHeight: number;
  rowHeight: number;
  ms: number;
  timedOut: boolean;
}

/**
 * Runs in the page, given as text: tsx would otherwise wrap its inner functions in a `__name` helper
 * the page does not have.
 */
const SCROLL_SCRIPT = `(rows, step, maxFrames) => new Promise((resolve) => {
  const log = document.querySelector('notification-log');
  const root = log.shadowRoot;
  const body = root.querySelector('.body');
  const frames = [];
  let maxRows = 0;
  let maxElements = 0;
  let last = performance.now();
  const started = last;
  function tick(now) {
    frames.push(now - last);
    last = now;
    maxRows = Math.max(maxRows, root.querySelectorAll('[part~="row"]').length);
    maxElements = Math.max(maxElements, root.querySelectorAll('*').length);
    const items = log.items.length;
    const atEnd = body.scrollTop + body.clientHeight >= body.scrollHeight - 1;
    const timedOut = now - started > 240000;
    if ((atEnd && items >= rows) || frames.length >= maxFrames || timedOut) {
      const row = root.querySelector('[part~="row"]');
      resolve({ frames, maxRows, maxElements, loaded: items, rowHeight: row ? row.offsetHeight : 0, ms: now - started, timedOut });
      return;
    }
    body.scrollTop += step;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
})`;

/** A page-side stand-in for a cached formatter: the same options give the same Intl.DateTimeFormat. */
const CACHED_FORMAT_SCRIPT = `(() => {
  const Original = Intl.DateTimeFormat;
  const cache = new Map();
  const Cached = function (locales, options) {
    const key = JSON.stringify([locales, options]);
    let format = cache.get(key);
    if (!format) cache.set(key, (format = new Original(locales, options)));
    return format;
  };
  Cached.prototype = Original.prototype;
  Cached.supportedLocalesOf = Original.supportedLocalesOf;
  Intl.DateTimeFormat = Cached;
})();`;

const LAST_ROW_SCRIPT = `() => {
  const rows = document.querySelector('notification-log').shadowRoot.querySelectorAll('[part~="row"]');
  let last = 0;
  for (const row of rows) last = Math.max(last, Number(row.getAttribute('aria-rowindex') || 0));
  return last - 1;
}`;

export async function benchLogElement(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-element-'));
  let server: Server | undefined;
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    const src = (path: string) => JSON.stringify(join(ROOT, 'src', path));
    writeFileSync(
      join(dir, 'entry.ts'),
      [
        `import { MemoryAdapter } from ${src('services/memory-adapter.ts')};`,
        `import { NotificationLog } from ${src('components/notification-log/notification-log.ts')};`,
        'NotificationLog.define();',
        'const started = performance.now();',
        `const adapter = new MemoryAdapter({ logRows: ${ROWS} });`,
        'const log = document.createElement("notification-log") as NotificationLog;',
        'log.pageSize = 200;',
        'log.adapter = adapter;',
        'document.body.append(log);',
        '(window as unknown as { benchSeedMs: number }).benchSeedMs = performance.now() - started;',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>notification-log, 100,000 rows</title><style>body{margin:0;font:14px system-ui}notification-log{--gm-log-height:640px}</style></head><body><script type="module" src="./entry.ts"></script></body></html>',
    );
    await viteBuild({
      configFile: false,
      root: dir,
      logLevel: 'silent',
      mode: 'production',
      define: { 'process.env.NODE_ENV': JSON.stringify('production') },
      build: { outDir: join(dir, 'out'), emptyOutDir: true, minify: true, target: 'es2022' },
    });
    server = await serveStatic(join(dir, 'out'));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

    /** A fresh page with the log's first page on screen. */
    const open = async (initScript?: string) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      if (initScript) await page.addInitScript(initScript);
      await page.goto(url);
      await page.locator('notification-log [part~="row"]').first().waitFor({ timeout: 60_000 });
      const scroll = async (step: number, maxFrames: number) => {
        const result = (await page.evaluate(`(${SCROLL_SCRIPT})(${ROWS}, ${step}, ${maxFrames})`)) as ScrollResult;
        if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
        if (result.timedOut) throw new Error(`scrolling ${step} px a frame did not reach row ${ROWS} in 240 s (loaded ${result.loaded})`);
        return { ...result, frames: result.frames.slice(1) };
      };
      return { page, scroll };
    };

    const { page, scroll } = await open();
    const seedMs = (await page.evaluate('window.benchSeedMs')) as number;
    // A wheel: a few rows a frame, most of the window stays.
    const gentle = await scroll(GENTLE_PX, GENTLE_FRAMES);
    // Then a fast drag to the end: every frame shows rows that were not on screen the frame before.
    const fast = await scroll(FAST_PX, Number.MAX_SAFE_INTEGER);
    const lastVisible = (await page.evaluate(`(${LAST_ROW_SCRIPT})()`)) as number;
    if (lastVisible !== ROWS) throw new Error(`the last row rendered is ${lastVisible}, not ${ROWS}`);
    await page.close();

    const p95 = (frames: number[]) => round(percentile(frames, 95), 1);
    const p50 = (frames: number[]) => round(percentile(frames, 50), 1);
    report({ name: `element: ${ROWS.toLocaleString('en')} rows top to bottom, most row nodes in the DOM`, value: Math.max(gentle.maxRows, fast.maxRows), unit: 'nodes', target: 200, better: 'lower' });
    report({ name: 'element: most elements in its shadow root (rows, cells, toolbar)', value: Math.max(gentle.maxElements, fast.maxElements), unit: 'elements', target: null, better: 'lower' });
    report({ name: `element: frame time, wheel (${GENTLE_PX} px a frame, ${gentle.frames.length} frames), p50`, value: p50(gentle.frames), unit: 'ms', target: null, better: 'lower' });
    report({ name: `element: frame time, wheel (${GENTLE_PX} px a frame), p95`, value: p95(gentle.frames), unit: 'ms', target: null, better: 'lower' });
    report({ name: `element: frame time, drag to the end (${FAST_PX} px a frame, ${fast.frames.length} frames), p50`, value: p50(fast.frames), unit: 'ms', target: null, better: 'lower' });
    report({ name: `element: frame time, drag to the end (${FAST_PX} px a frame), p95`, value: p95(fast.frames), unit: 'ms', target: null, better: 'lower' });
    report({ name: 'element: longest frame', value: round(Math.max(...gentle.frames, ...fast.frames), 1), unit: 'ms', target: null, better: 'lower' });
    report({ name: 'element: drag to the end, wall time (pages of 200 fetched on the way)', value: round(fast.ms / 1000, 1), unit: 's', target: null, better: 'lower' });
    report({ name: `element: MemoryAdapter seeding ${ROWS.toLocaleString('en')} rows in the page`, value: round(seedMs), unit: 'ms', target: null, better: 'lower' });

    // Not the element as shipped: the same run with Intl.DateTimeFormat objects reused, which is what
    // caching the two formatters in the element would do (each row makes two new ones per render).
    const cached = await open(CACHED_FORMAT_SCRIPT);
    await cached.scroll(GENTLE_PX, GENTLE_FRAMES);
    const cachedFast = await cached.scroll(FAST_PX, Number.MAX_SAFE_INTEGER);
    report({ name: 'element, if it reused its date formatters: drag to the end, p50', value: p50(cachedFast.frames), unit: 'ms', target: null, better: 'lower' });
    report({ name: 'element, if it reused its date formatters: drag to the end, p95', value: p95(cachedFast.frames), unit: 'ms', target: null, better: 'lower', baseline: p95(fast.frames), ratio: round(percentile(cachedFast.frames, 95) / percentile(fast.frames, 95)) });
    await cached.page.close();
  } finally {
    await browser.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
