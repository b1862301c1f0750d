// Library build. Two shapes of the same source:
// - default mode: ESM for hosts that bundle (entries index, define, msal, locales; shared chunks;
//   Lit, valibot and msal-browser stay imports, so a host ships one copy of each);
// - `--mode bundle`: one classic script for legacy pages, everything inlined, msal-browser never;
// - `--mode msal`: the MSAL token provider as a classic script of its own, msal-browser inlined, which
//   the bundle loads only for elements with `msal-*` attributes (graph-mail-elements.msal.js).
// Storybook reuses this file but drops its `build` block, so everything build-only lives there.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, parseAst, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** Packages a host resolves itself; only the ESM build leaves them out. */
const external = (id: string): boolean =>
  /^(lit|lit-html|lit-element|valibot)(\/|$)/.test(id) ||
  /^@lit(-labs)?\//.test(id) ||
  /^@azure\/msal-browser(\/|$)/.test(id);

/**
 * One entry per locale besides English, so a page loads only the language it shows:
 * `src/locales/de.ts`, or `src/locales/de/index.ts` when a locale is a folder.
 */
function localeEntries(): Record<string, string> {
  const dir = fromRoot('./src/locales/');
  if (!existsSync(dir)) return {};
  const entries: Record<string, string> = {};
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    if (item.isFile() && item.name.endsWith('.ts') && !item.name.endsWith('.d.ts')) {
      entries[`locales/${item.name.slice(0, -3)}`] = `${dir}${item.name}`;
    } else if (item.isDirectory() && existsSync(`${dir}${item.name}/index.ts`)) {
      entries[`locales/${item.name}`] ??= `${dir}${item.name}/index.ts`;
    }
  }
  return entries;
}

function esmEntries(): Record<string, string> {
  const entries: Record<string, string> = {
    index: fromRoot('./src/index.ts'),
    define: fromRoot('./src/define.ts'),
  };
  // The MSAL token provider is optional; the build works with or without it.
  const msal = fromRoot('./src/msal/index.ts');
  if (existsSync(msal)) entries.msal = msal;
  const bridge = fromRoot('./src/msal/redirect-bridge.ts');
  if (existsSync(bridge)) entries['msal-redirect-bridge'] = bridge;
  return { ...entries, ...localeEntries() };
}

/**
 * msal-browser is about 77 kB gzipped and a single-file build would inline it silently
 * (a dynamic import included): fail the bundle build the moment anything reaches for it.
 */
function refuseMsal(): Plugin {
  const refusal = (what: string, importer?: string): string =>
    `${importer ?? 'the bundle'} pulls in ${what}: msal-browser must stay out of graph-mail-elements.bundle.js; ` +
    'hosts load the MSAL token provider from its own ESM entry (graph-mail-elements/msal) or classic script (graph-mail-elements.msal.js).';
  return {
    name: 'graph-mail:refuse-msal-in-bundle',
    enforce: 'pre',
    resolveId(source, importer) {
      if (/^@azure\/msal-browser(\/|$)/.test(source)) this.error(refusal(source, importer));
      return null;
    },
    load(id) {
      if (/[\\/]src[\\/]msal[\\/]|[\\/]@azure[\\/]msal-browser[\\/]/.test(id)) this.error(refusal(id));
      return null;
    },
  };
}


/** CSS text of a `css` template: comments out, whitespace collapsed (never before `:`, which can start a pseudo-class). */
export function minifyCss(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,])\s*/g, '$1')
    .replace(/:\s+/g, ':')
    .replace(/;}/g, '}')
    .trim();
}

/** HTML text of an `html` template: each line break with its indentation becomes one space, as the browser renders it. */
export function minifyHtml(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Lit templates keep their source indentation through minification (template strings are never
 * touched by a JS minifier); in the one-tag bundle that is a few kB of the 40 kB budget. This strips it
 * from `css` and `html` tagged templates, the way minify-html-literals does for Rollup. Markup with
 * significant whitespace (`<pre>`, a static `<textarea>`) is left alone.
 */
function minifyTemplates(): Plugin {
  return {
    name: 'graph-mail:minify-templates',
    enforce: 'post',
    transform(code, id) {
      if (!/[\\/]src[\\/]components[\\/].+\.ts$/.test(id) || !code.includes('`')) return null;
      const edits: Array<{ start: number; end: number; text: string }> = [];
      const visit = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) return node.forEach(visit);
        const n = node as { type?: string; tag?: { type: string; name?: string }; quasi?: { quasis: Array<{ start: number; end: number; value: { raw: string } }> } };
        if (n.type === 'TaggedTemplateExpression' && n.tag?.type === 'Identifier' && (n.tag.name === 'css' || n.tag.name === 'html')) {
          const minify = n.tag.name === 'css' ? minifyCss : minifyHtml;
          const quasis = n.quasi!.quasis;
          if (n.tag.name === 'css' || !quasis.some((q) => /<(pre|textarea)\b/i.test(q.value.raw))) {
            for (const quasi of quasis) {
              if (code.slice(quasi.start, quasi.end) !== quasi.value.raw) continue;
              const text = minify(quasi.value.raw);
              if (text !== quasi.value.raw) edits.push({ start: quasi.start, end: quasi.end, text });
            }
          }
        }
        for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value);
      };
      visit(parseAst(code));
      if (edits.length === 0) return null;
      let out = code;
      for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
      return { code: out, map: null };
    },
  };
}

/** A self-contained classic script (IIFE): everything inlined, dynamic imports included. */
function classicScript(entry: string, name: string, fileName: string) {
  return {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    target: 'es2022',
    sourcemap: true,
    minify: true,
    reportCompressedSize: true,
    lib: { entry: fromRoot(entry), name, formats: ['iife' as const], fileName: () => fileName },
    rolldownOptions: { output: { codeSplitting: false } },
  };
}

export default defineConfig(({ mode }) => {
  const bundle = mode === 'bundle';
  const msalScript = mode === 'msal';
  return {
    root,
    // A library has no public folder to copy, and no index.html.
    publicDir: false,
    plugins: bundle ? [refuseMsal(), minifyTemplates()] : [],
    // A classic script runs where `process` does not exist.
    define: bundle || msalScript ? { 'process.env.NODE_ENV': JSON.stringify('production') } : {},
    build: msalScript
      ? classicScript('./src/msal/script.ts', 'GraphMailMsal', 'graph-mail-elements.msal.js')
      : bundle
        ? classicScript('./src/bundle.ts', 'GraphMailElements', 'graph-mail-elements.bundle.js')
      : {
          outDir: 'dist',
          emptyOutDir: true,
          copyPublicDir: false,
          target: 'es2022',
          sourcemap: true,
          // Hosts minify when they bundle; readable output keeps their stack traces and PURE hints.
          minify: false,
          reportCompressedSize: false,
          lib: {
            entry: esmEntries(),
            formats: ['es'],
            fileName: (_format, entryName) => `${entryName}.js`,
          },
          rolldownOptions: {
            external,
            output: {
              chunkFileNames: 'chunks/[name]-[hash].js',
            },
          },
        },
  };
});
