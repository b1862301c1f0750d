// Library build. Two shapes of the same source:
// - default mode: ESM for hosts that bundle (entries index, define, msal, locales; shared chunks;
//   Lit, valibot and msal-browser stay imports, so a host ships one copy of each);
// - `--mode bundle`: one classic script for legacy pages, everything inlined, msal-browser never.
// Storybook reuses this file but drops its `build` block, so everything build-only lives there.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

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
  return { ...entries, ...localeEntries() };
}

/**
 * msal-browser is about 77 kB gzipped and a single-file build would inline it silently
 * (a dynamic import included): fail the bundle build the moment anything reaches for it.
 */
function refuseMsal(): Plugin {
  const refusal = (what: string, importer?: string): string =>
    `${importer ?? 'the bundle'} pulls in ${what}: msal-browser must stay out of graph-mail-elements.bundle.js; ` +
    'hosts load the MSAL token provider from its own ESM entry (graph-mail-elements/msal).';
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

export default defineConfig(({ mode }) => {
  const bundle = mode === 'bundle';
  return {
    root,
    // A library has no public folder to copy, and no index.html.
    publicDir: false,
    plugins: bundle ? [refuseMsal()] : [],
    // A classic script runs where `process` does not exist.
    define: bundle ? { 'process.env.NODE_ENV': JSON.stringify('production') } : {},
    build: bundle
      ? {
          outDir: 'dist',
          emptyOutDir: false,
          copyPublicDir: false,
          target: 'es2022',
          sourcemap: true,
          minify: true,
          reportCompressedSize: true,
          lib: {
            entry: fromRoot('./src/bundle.ts'),
            name: 'GraphMailElements',
            formats: ['iife'],
            fileName: () => 'graph-mail-elements.bundle.js',
          },
          rolldownOptions: {
            output: { codeSplitting: false },
          },
        }
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
