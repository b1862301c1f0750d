// Checks on what `npm run build` produced: the one-tag bundle fits the budget a legacy page can afford,
// runs as a classic script, and neither it nor the main ESM entry carries msal-browser; the MSAL token
// provider's own classic script does, whole, for the bundle to load when attributes ask for it.
// `npm test` builds first and sets GRAPH_MAIL_REQUIRE_DIST, so there a missing dist/ is a failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dist = join(root, 'dist');
const bundlePath = join(dist, 'graph-mail-elements.bundle.js');
const msalScriptPath = join(dist, 'graph-mail-elements.msal.js');
/** The design's budget for the one-tag bundle (DESIGN.md): all four elements with Lit. */
const BUDGET_BYTES = 40 * 1024;
/**
 * The bundle is over that budget today (51.3 kB: the form alone, with Lit, is 41 kB). Until it is
 * slimmed, this ceiling stops it from growing further: raise it only with a reason, lower it with
 * every saving, and remove it once the bundle fits BUDGET_BYTES. Raised from 48 kB for the log's
 * per-day chart and its bidi and exact-time handling (+0.6 kB); from 49 kB for the administrator's
 * assistant in the form and the log (the tenant's cloud, the support bundle, the app restriction,
 * the second secret, expiry reminders, the Send As answer, the send budget: +2.1 kB) and the msal
 * loader a legacy page on another origin turns on by attributes (+0.3 kB).
 */
const CEILING_BYTES = 52 * 1024;

/**
 * Strings that survive minification of msal-browser (its SKU, error class names, package name,
 * telemetry header). The first test proves each one is really in msal-browser's own build.
 */
const MSAL_MARKERS = ['@azure/msal', 'msal.js.browser', 'BrowserAuthError', 'InteractionRequiredAuthError', 'x-client-SKU'];
const isMsalSpecifier = (specifier: string) => /^@azure\/msal-/.test(specifier) || /(^|\/)msal\.js$/.test(specifier);

const required = Boolean(process.env.GRAPH_MAIL_REQUIRE_DIST);
const built = existsSync(bundlePath) && existsSync(join(dist, 'index.js'));
const skip = !built && !required ? 'dist/ is not built: run `npm run build` first (npm test does)' : false;

const markersIn = (code: string) => MSAL_MARKERS.filter((marker) => code.includes(marker));

/** Static `import … from`, `import "…"` and `export … from` specifiers; `import()` is left out on purpose. */
function staticSpecifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [/^\s*import\s*(?:[^'"();]*?\bfrom\s*)?["']([^"']+)["']/gm, /^\s*export\s*[^'"();]*?\bfrom\s*["']([^"']+)["']/gm];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** Every file an ESM entry loads before it runs (its static graph inside dist/), and the packages it imports. */
function staticGraph(entry: string): { files: Map<string, string>; packages: Set<string> } {
  const files = new Map<string, string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    assert.ok(existsSync(file), `${relative(root, file)} is imported by the build but missing`);
    const code = readFileSync(file, 'utf8');
    files.set(file, code);
    for (const specifier of staticSpecifiers(code)) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('build output', { skip }, () => {
  it('finds dist/ built', () => {
    assert.ok(built, `dist/ is missing ${existsSync(bundlePath) ? 'index.js' : 'graph-mail-elements.bundle.js'}: run npm run build`);
  });

  it('searches for markers that really are in msal-browser', (t) => {
    const own = join(root, 'node_modules', '@azure', 'msal-browser', 'lib', 'msal-browser.min.js');
    if (!existsSync(own)) return t.skip('@azure/msal-browser is not installed (dev dependency)');
    const code = readFileSync(own, 'utf8');
    assert.deepEqual(markersIn(code), MSAL_MARKERS, 'every marker must occur in msal-browser, or it proves nothing');
  });

  it('keeps the one-tag bundle under its ceiling, and reports the gap to the 40 kB budget', (t) => {
    const code = readFileSync(bundlePath);
    const gzipped = gzipSync(code, { level: 9 }).length;
    const kB = (bytes: number) => (bytes / 1024).toFixed(2);
    t.diagnostic(
      `graph-mail-elements.bundle.js: ${kB(code.length)} kB minified, ${kB(gzipped)} kB min+gzip (budget ${kB(BUDGET_BYTES)} kB, ceiling ${kB(CEILING_BYTES)} kB)`,
    );
    if (gzipped > BUDGET_BYTES) t.diagnostic(`over the design budget by ${kB(gzipped - BUDGET_BYTES)} kB`);
    assert.ok(
      gzipped <= CEILING_BYTES,
      `the bundle is ${kB(gzipped)} kB min+gzip, over its ${kB(CEILING_BYTES)} kB ceiling (the budget is ${kB(BUDGET_BYTES)} kB): look for a large dependency or text that belongs on the server`,
    );
  });

  it('runs the bundle as a classic script: no import, export, import.meta or chunk to fetch', () => {
    const code = readFileSync(bundlePath, 'utf8');
    // Compiling as a script (not a module) rejects import/export declarations and import.meta.
    assert.doesNotThrow(() => new Script(code, { filename: 'graph-mail-elements.bundle.js' }));
    assert.doesNotMatch(code, /\bimport\s*\(/, 'a dynamic import() would fetch a chunk that a legacy page does not have');
    assert.ok(existsSync(`${bundlePath}.map`), 'the bundle ships its source map');
  });

  it('inlines Lit in the bundle and leaves it to the host in the ESM build', () => {
    // Lit registers its version on this global; it is present exactly where Lit's code is.
    assert.match(readFileSync(bundlePath, 'utf8'), /litHtmlVersions/);
    const { files, packages } = staticGraph(join(dist, 'define.js'));
    assert.ok(packages.has('lit') || [...packages].some((p) => p.startsWith('lit/')), `lit is imported, not bundled (imports: ${[...packages].join(', ')})`);
    for (const [file, code] of files) assert.doesNotMatch(code, /litHtmlVersions/, `${relative(root, file)} contains a copy of Lit`);
  });

  it('keeps msal-browser out of the bundle', () => {
    assert.deepEqual(markersIn(readFileSync(bundlePath, 'utf8')), [], 'msal-browser code found in graph-mail-elements.bundle.js');
  });

  it('builds the MSAL token provider as a classic script with msal-browser inlined, defining GraphMailMsal', () => {
    assert.ok(existsSync(msalScriptPath), 'dist/graph-mail-elements.msal.js is missing: run npm run build (vite build --mode msal)');
    const code = readFileSync(msalScriptPath, 'utf8');
    assert.doesNotThrow(() => new Script(code, { filename: 'graph-mail-elements.msal.js' }), 'it must compile as a classic script');
    assert.doesNotMatch(code, /\bimport\s*\(/, 'a dynamic import() would fetch a chunk that a legacy page does not have');
    assert.deepEqual(markersIn(code), MSAL_MARKERS, 'msal-browser is inlined whole');
    assert.match(code, /^var GraphMailMsal=/, 'it defines the GraphMailMsal global that the bundle reads');
    assert.ok(existsSync(`${msalScriptPath}.map`), 'it ships its source map');
    // The bundle knows the script by this name, to load it from beside itself.
    assert.match(readFileSync(bundlePath, 'utf8'), /graph-mail-elements\.msal\.js/);
  });

  it('builds each locale entry with all its tables, loadable without an import map', () => {
    const sources = join(root, 'src', 'locales');
    const locales = readdirSync(sources, { withFileTypes: true }).filter((item) => item.isDirectory() && existsSync(join(sources, item.name, 'index.ts')));
    assert.ok(locales.length > 0, 'no locale in src/locales');
    for (const { name } of locales) {
      const entry = join(dist, 'locales', `${name}.js`);
      const { files, packages } = staticGraph(entry);
      // A bare import (lit) would need an import map; a page with only the one-tag bundle has none.
      assert.deepEqual([...packages], [], `dist/locales/${name}.js imports packages`);
      const tables = readdirSync(join(sources, name)).filter((file) => file.endsWith('.ts') && file !== 'index.ts');
      const calls = readFileSync(entry, 'utf8').match(new RegExp(`registerStrings\\(\\s*["']${name}["']`, 'g')) ?? [];
      assert.equal(calls.length, tables.length, `dist/locales/${name}.js registers ${calls.length} of ${tables.length} tables (were they tree-shaken?)`);
      for (const [file, code] of files) assert.doesNotMatch(code, /litHtmlVersions/, `${relative(root, file)} carries Lit`);
    }
  });

  for (const entry of ['index.js', 'define.js']) {
    it(`keeps msal-browser out of the static imports of dist/${entry}`, () => {
      const { files, packages } = staticGraph(join(dist, entry));
      const msalImports = [...packages, ...[...files.keys()].map((f) => relative(dist, f))].filter(isMsalSpecifier);
      assert.deepEqual(msalImports, [], `dist/${entry} loads msal-browser before anything asks for it; import it lazily`);
    });
  }
});
