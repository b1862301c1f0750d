#!/usr/bin/env node
// Fails when the committed custom-elements.json no longer matches what the analyzer makes from the
// elements' JSDoc, so Storybook's controls and editors' completions never describe an older API.
// The analyzer runs exactly as `npm run analyze` does, only writing into a temporary folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const committedPath = join(root, 'custom-elements.json');
const STALE = 'custom-elements.json is stale: run npm run analyze';

/** Key order carries no meaning in the manifest; array order (members, modules) does. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical(value[key])]),
    );
  }
  return value;
}

/** The first place where two manifests differ, as a readable path, so the message says what changed. */
function firstDifference(a, b, path = '$') {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const label = a[i]?.path ?? a[i]?.name ?? b[i]?.path ?? b[i]?.name;
      const found = firstDifference(a[i], b[i], `${path}[${i}${label ? `: ${label}` : ''}]`);
      if (found) return found;
    }
  } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = firstDifference(a[key], b[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  const show = (v) => (v === undefined ? '(absent)' : JSON.stringify(v).slice(0, 160));
  return `${path}\n  committed: ${show(a)}\n  from source: ${show(b)}`;
}

if (!existsSync(committedPath)) {
  console.error(`custom-elements.json is missing: run npm run analyze`);
  process.exit(1);
}

const outdir = mkdtempSync(join(tmpdir(), 'graph-mail-cem-'));
try {
  // The analyzer joins its outdir to the working directory, so it takes a relative path.
  const cem = join(root, 'node_modules', '@custom-elements-manifest', 'analyzer', 'cem.js');
  const run = spawnSync(
    process.execPath,
    [cem, 'analyze', '--config', 'custom-elements-manifest.config.mjs', '--outdir', relative(root, outdir), '--quiet'],
    { cwd: root, encoding: 'utf8' },
  );
  const generatedPath = join(outdir, 'custom-elements.json');
  if (run.status !== 0 || !existsSync(generatedPath)) {
    process.stderr.write(run.stdout ?? '');
    process.stderr.write(run.stderr ?? '');
    console.error('the custom elements analyzer failed; see its output above');
    process.exit(1);
  }
  let committed;
  try {
    committed = canonical(JSON.parse(readFileSync(committedPath, 'utf8')));
  } catch (error) {
    console.error(`custom-elements.json is not valid JSON (${error.message}): run npm run analyze`);
    process.exit(1);
  }
  const generated = canonical(JSON.parse(readFileSync(generatedPath, 'utf8')));
  const difference = firstDifference(committed, generated);
  if (difference) {
    console.error(STALE);
    console.error(`first difference at ${difference}`);
    process.exit(1);
  }
  console.log('custom-elements.json is up to date');
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
