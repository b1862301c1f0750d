/**
 * `npm run bench` (not part of `npm test`): each figure measured once on this machine, printed as a
 * table and written to bench/results.json. Targets are goals; a missed one is reported, not hidden.
 *
 *   npm run bench                          every benchmark (about 5 minutes on 2 cores)
 *   npm run bench -- --only=log,send       some of: bundle, log, element, send, attachment, start, instances
 *   BENCH_ROWS=200000 npm run bench -- --only=log    a smaller log (the target is stated for 1,000,000)
 *
 * docs/benchmarks.md explains the method and keeps the latest figures.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchAttachment } from './attachment.js';
import { benchBundle } from './bundle.js';
import { benchInstances } from './instances.js';
import { ROOT, type Result } from './lib.js';
import { benchLogElement } from './log-element.js';
import { benchLogQueries } from './log-queries.js';
import { benchSending } from './sending.js';
import { benchStart } from './start.js';

const BENCHES: Record<string, (report: (result: Result) => void) => Promise<void>> = {
  bundle: benchBundle,
  log: benchLogQueries,
  element: benchLogElement,
  send: benchSending,
  attachment: benchAttachment,
  start: benchStart,
  instances: benchInstances,
};

const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = (only ?? []).filter((name) => !(name in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}

const results: Result[] = [];
const failures: string[] = [];
const met = (r: Result) => (r.target === null ? '' : (r.better === 'lower' ? r.value <= r.target : r.value >= r.target) ? 'met' : 'MISSED');

console.log(`${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}, Node ${process.version}`);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  process.stdout.write(`${name}: running…\n`);
  try {
    await bench((result) => {
      results.push(result);
      console.log(`  ${result.name}: ${result.value} ${result.unit}${result.target === null ? '' : ` (target ${result.better === 'lower' ? '≤' : '≥'} ${result.target}: ${met(result)})`}`);
    });
  } catch (error) {
    // One broken benchmark does not hide the others' figures.
    failures.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`  ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

const widths = [Math.max(9, ...results.map((r) => r.name.length)), 10, 9, 9, 10, 6];
const row = (cells: string[]) => cells.map((cell, i) => (i === 0 || i === 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
console.log(`\n${row(['benchmark', 'value', 'unit', 'target', 'baseline', 'ratio'])}  `);
for (const r of results) {
  console.log(
    `${row([r.name, String(r.value), r.unit, r.target === null ? '' : `${r.better === 'lower' ? '≤' : '≥'} ${r.target}`, r.baseline === undefined ? '' : String(r.baseline), r.ratio === undefined ? '' : String(r.ratio)])}  ${met(r)}`,
  );
}
writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwritten: bench/results.json (${results.length} figures)`);
if (failures.length) {
  console.error(`\n${failures.length} benchmark(s) failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
