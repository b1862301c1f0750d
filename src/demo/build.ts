/**
 * Builds what the demo pages load, on first start and again when a source changed: the one-tag bundle
 * (`dist/graph-mail-elements.bundle.js`, the legacy page's single script) and the admin portal page
 * (ESM, bundled by Vite as a host application would). `npm install` then `npm start` must work on a
 * fresh clone, where neither exists yet.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BUNDLE_PATH = join(ROOT, 'dist', 'graph-mail-elements.bundle.js');

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

/** Builds the bundle and the portal page when they are missing or older than their sources. */
export async function buildDemoAssets(outDir: string, log: (line: string) => void = console.log): Promise<{ portalDir: string }> {
  const sources = Math.max(newest(ELEMENT_SOURCES.filter((path) => !path.endsWith('.ts'))), ...ELEMENT_SOURCES.filter((path) => path.endsWith('.ts')).map(mtime));
  if (mtime(BUNDLE_PATH) < sources) {
    log('building dist/graph-mail-elements.bundle.js …');
    await build({ configFile: join(ROOT, 'vite.config.ts'), mode: 'bundle', logLevel: 'warn' });
  }
  const portalDir = join(outDir, 'portal');
  const pages = join(ROOT, 'src/demo/pages');
  if (mtime(join(portalDir, 'index.html')) < Math.max(sources, newest([pages]))) {
    log('building the demo portal page …');
    await build({
      configFile: false,
      root: pages,
      base: '/',
      logLevel: 'warn',
      publicDir: false,
      build: { outDir: portalDir, emptyOutDir: true, target: 'es2022', sourcemap: true, rollupOptions: { input: join(pages, 'index.html') } },
    });
  }
  return { portalDir };
}
