/**
 * Builds what the demo pages load, on first start and again when a source changed: the one-tag bundle
 * (`dist/graph-mail-elements.bundle.js`, the legacy pages' single script) and the MSAL script it loads
 * for the cross-origin legacy page (`dist/graph-mail-elements.msal.js`), the admin portal page and the
 * cross-origin page with its MSAL redirect bridge (ESM, bundled by Vite as a host application would;
 * msal-browser only in the chunks those two pages load lazily). `npm install` then `npm start` must work
 * on a fresh clone, where none exists yet.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type InlineConfig } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Vite's build() sets process.env.NODE_ENV to 'production' in the calling process as a side effect;
 * a server started afterwards would then refuse the sandbox and loopback admins. Every build of the
 * demo and the benchmarks goes through here, which puts the variable back as it was.
 */
export async function viteBuild(config: InlineConfig): Promise<void> {
  const before = process.env.NODE_ENV;
  try {
    await build(config);
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
}
export const BUNDLE_PATH = join(ROOT, 'dist', 'graph-mail-elements.bundle.js');
/** The MSAL token provider as a classic script, which the bundle loads for elements with `msal-*` attributes. */
export const MSAL_SCRIPT_PATH = join(ROOT, 'dist', 'graph-mail-elements.msal.js');

/** The newest modification time of any file below the given folders. */
function newest(dirs: string[]): number {
  let latest = 0;
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return latest;
}

const mtime = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : 0);

const ELEMENT_SOURCES = ['src/components', 'src/services', 'src/locales', 'src/bundle.ts', 'src/define.ts'].map((path) => join(ROOT, path));

/** The demo's pages: the same-origin portal, the cross-origin page and the page MSAL's popup returns to. */
const PAGES = ['index.html', 'cross-origin.html', 'redirect.html'];

/** Builds the bundle and the pages when they are missing or older than their sources. */
export async function buildDemoAssets(outDir: string, log: (line: string) => void = console.log): Promise<{ portalDir: string }> {
  const sources = Math.max(newest(ELEMENT_SOURCES.filter((path) => !path.endsWith('.ts'))), ...ELEMENT_SOURCES.filter((path) => path.endsWith('.ts')).map(mtime));
  if (mtime(BUNDLE_PATH) < sources) {
    log('building dist/graph-mail-elements.bundle.js …');
    await viteBuild({ configFile: join(ROOT, 'vite.config.ts'), mode: 'bundle', logLevel: 'warn' });
  }
  if (mtime(MSAL_SCRIPT_PATH) < newest([join(ROOT, 'src/msal')])) {
    log('building dist/graph-mail-elements.msal.js …');
    await viteBuild({ configFile: join(ROOT, 'vite.config.ts'), mode: 'msal', logLevel: 'warn' });
  }
  const portalDir = join(outDir, 'portal');
  const pages = join(ROOT, 'src/demo/pages');
  const built = Math.min(...PAGES.map((page) => mtime(join(portalDir, page))));
  if (built < Math.max(sources, newest([pages, join(ROOT, 'src/msal')]))) {
    log('building the demo pages …');
    await viteBuild({
      configFile: false,
      root: pages,
      base: '/',
      logLevel: 'warn',
      publicDir: false,
      build: { outDir: portalDir, emptyOutDir: true, target: 'es2022', sourcemap: true, rollupOptions: { input: PAGES.map((page) => join(pages, page)) } },
    });
  }
  return { portalDir };
}
