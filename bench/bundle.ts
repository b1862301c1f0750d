/**
 * 1. Bundle: the one-tag bundle's min+gzip size against Lit's own (the floor no Lit element can go
 * under), and msal-browser kept out of it and out of the main ESM entry's static import graph.
 *
 * Both builds use the project's vite.config.ts (the same as `npm run build`) but write to a temporary
 * folder, so dist/ is left as it is.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { viteBuild } from '../src/demo/build.js';
import { ROOT, round, type Report } from './lib.js';

/** Strings only msal-browser's code or an import of it contain. */
const MSAL_MARKERS = ['@azure/msal-browser', '@azure/msal-common', 'BrowserAuthError', 'InteractionRequiredAuthError', 'createStandardPublicClientApplication'];
const gzipKb = (bytes: Buffer | string) => gzipSync(bytes, { level: 9 }).length / 1024;
const hasMsal = (code: string) => MSAL_MARKERS.some((marker) => code.includes(marker));

/** The files an ESM entry loads before it runs: its static imports, transitively (not `import()`). */
function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s*(?:[^'"()]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
      const next = resolve(dirname(file), match[1]);
      if (existsSync(next)) visit(next);
    }
  };
  visit(entry);
  return [...seen];
}

export async function benchBundle(report: Report): Promise<void> {
  // Inside the project (node_modules/.cache), so that the Lit-only entry resolves `lit` from it.
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'graph-mail-bench-bundle-'));
  try {
    const configFile = join(ROOT, 'vite.config.ts');
    await viteBuild({ configFile, mode: 'bundle', logLevel: 'silent', build: { outDir: join(dir, 'bundle'), emptyOutDir: true } });
    await viteBuild({ configFile, mode: 'production', logLevel: 'silent', build: { outDir: join(dir, 'esm'), emptyOutDir: true } });
    const bundle = readFileSync(join(dir, 'bundle', 'graph-mail-elements.bundle.js'));

    // Lit alone, minified the same way: one element with a reactive property, styles and a template.
    writeFileSync(
      join(dir, 'lit-entry.ts'),
      "import { LitElement, html, css } from 'lit';\nclass X extends LitElement { static styles = css`:host{display:block}`; static properties = { a: {} }; declare a: string; render() { return html`<p>${this.a}</p>`; } }\ncustomElements.define('x-x', X);\n",
    );
    await viteBuild({
      configFile: false,
      root: ROOT,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': JSON.stringify('production') },
      build: { outDir: join(dir, 'lit'), minify: true, target: 'es2022', lib: { entry: join(dir, 'lit-entry.ts'), formats: ['iife'], name: 'X', fileName: () => 'lit.js' } },
    });
    const lit = gzipKb(readFileSync(join(dir, 'lit', 'lit.js')));
    const size = gzipKb(bundle);
    report({ name: 'bundle: min+gzip, four elements with Lit', value: round(size), unit: 'kB', target: 40, better: 'lower', baseline: round(lit), ratio: round(size / lit) });
    report({ name: 'bundle: Lit alone, min+gzip (the floor)', value: round(lit), unit: 'kB', target: null, better: 'lower' });
    report({ name: 'bundle: minified, before gzip', value: round(bundle.length / 1024, 1), unit: 'kB', target: null, better: 'lower' });
    report({ name: 'bundle: msal-browser markers in the bundle', value: hasMsal(bundle.toString('utf8')) ? 1 : 0, unit: 'yes=1', target: 0, better: 'lower' });

    const graph = staticGraph(join(dir, 'esm', 'index.js'));
    const esmMsal = graph.some((file) => hasMsal(readFileSync(file, 'utf8')));
    // The check can see msal where it belongs: the optional entry imports it.
    const msalEntry = join(dir, 'esm', 'msal.js');
    if (existsSync(msalEntry) && !staticGraph(msalEntry).some((file) => hasMsal(readFileSync(file, 'utf8')))) {
      throw new Error('the msal marker check found nothing in the msal entry itself: the markers are stale');
    }
    report({ name: `bundle: msal-browser markers in the main ESM entry (${graph.length} files)`, value: esmMsal ? 1 : 0, unit: 'yes=1', target: 0, better: 'lower' });
    const esmGzip = graph.reduce((sum, file) => sum + gzipKb(readFileSync(file)), 0);
    report({ name: 'bundle: main ESM entry and its static chunks, gzip (unminified, Lit external)', value: round(esmGzip), unit: 'kB', target: null, better: 'lower' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
