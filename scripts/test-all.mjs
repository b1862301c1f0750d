#!/usr/bin/env node
// `npm test`: every check, in order, headless, stopping at the first failure.
// Cheap checks run first so a typo fails in seconds; the build runs before the node tests because
// test/node/build checks its output (GRAPH_MAIL_REQUIRE_DIST makes a missing dist/ a failure there).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const env = {
  ...process.env,
  CHROME_PATH: process.env.CHROME_PATH || '/usr/bin/chromium',
  STORYBOOK_DISABLE_TELEMETRY: '1',
  PUPPETEER_SKIP_DOWNLOAD: '1',
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
  GRAPH_MAIL_REQUIRE_DIST: '1',
};
// Only `npm ci` needs it (node-gyp headers); in every `npm run` below it would just print a warning.
delete env.npm_config_nodedir;

/** Files below `dir` whose name ends with `suffix`, or none when the folder does not exist. */
function filesBelow(dir, suffix) {
  const path = join(root, dir);
  if (!existsSync(path)) return [];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

const steps = [
  { name: 'type check', command: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.json'] },
  { name: 'lint', command: npm, args: ['run', 'lint'] },
  { name: 'manifest freshness', command: process.execPath, args: ['scripts/check-manifest.mjs'] },
  { name: 'build', command: npm, args: ['run', 'build'] },
  { name: 'node tests', command: process.execPath, args: ['scripts/run-node-tests.mjs', 'test/node'] },
  {
    name: 'element tests',
    command: bin('web-test-runner'),
    args: ['--config', 'web-test-runner.config.mjs', '--static-logging'],
    precondition: () =>
      existsSync(env.CHROME_PATH)
        ? null
        : `no Chromium at ${env.CHROME_PATH}: install Debian's chromium package or set CHROME_PATH`,
  },
  {
    name: 'Storybook build',
    command: npm,
    args: ['run', 'build-storybook'],
    skipUnless: () => filesBelow('stories', '.stories.ts').length > 0 || 'no story in stories/ yet',
  },
  {
    name: 'e2e',
    command: process.execPath,
    args: ['scripts/run-node-tests.mjs', 'test/e2e'],
    skipUnless: () => filesBelow('test/e2e', '.test.ts').length > 0 || 'no *.test.ts in test/e2e yet',
  },
];

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const line = '─'.repeat(72);
const results = [];
const started = Date.now();

for (const [index, step] of steps.entries()) {
  const label = `[${index + 1}/${steps.length}] ${step.name}`;
  const shown = [step.command === process.execPath ? 'node' : step.command.replace(`${root}node_modules/.bin/`, ''), ...step.args].join(' ');
  console.log(`\n${line}\n${label}: ${shown}\n${line}`);

  const skip = step.skipUnless?.();
  if (typeof skip === 'string') {
    console.log(`skipped: ${skip}`);
    results.push({ name: step.name, outcome: 'skipped', note: skip });
    continue;
  }
  const problem = step.precondition?.();
  if (problem) {
    console.error(`failed: ${problem}`);
    results.push({ name: step.name, outcome: 'failed', ms: 0 });
    break;
  }

  const stepStart = Date.now();
  const run = spawnSync(step.command, step.args, { cwd: root, env, stdio: 'inherit' });
  const ms = Date.now() - stepStart;
  if (run.error) console.error(`could not start ${step.command}: ${run.error.message}`);
  if (run.signal) console.error(`${step.name} was stopped by ${run.signal}`);
  const ok = run.status === 0;
  results.push({ name: step.name, outcome: ok ? 'passed' : 'failed', ms });
  console.log(`${ok ? 'passed' : 'FAILED'}: ${step.name} (${seconds(ms)})`);
  if (!ok) break;
}

const failed = results.find((r) => r.outcome === 'failed');
const notRun = steps.slice(results.length).map((s) => s.name);
console.log(`\n${line}`);
for (const r of results) {
  console.log(`  ${r.outcome.padEnd(7)}  ${r.name}${r.ms !== undefined ? ` (${seconds(r.ms)})` : ''}${r.note ? `: ${r.note}` : ''}`);
}
for (const name of notRun) console.log(`  not run  ${name}`);
const total = seconds(Date.now() - started);
if (failed) {
  console.log(`npm test: FAILED at "${failed.name}" after ${total}`);
  process.exit(1);
}
const passed = results.filter((r) => r.outcome === 'passed').length;
const skipped = results.length - passed;
console.log(`npm test: all ${passed} steps passed${skipped ? `, ${skipped} skipped` : ''} in ${total}`);
