import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SourceMapConsumer } from 'source-map-js';
const code = readFileSync('dist/graph-mail-elements.bundle.js', 'utf8');
const map = new SourceMapConsumer(JSON.parse(readFileSync('dist/graph-mail-elements.bundle.js.map', 'utf8')));
const lines = code.split('\n');
const parts = {};
const mappings = [];
map.eachMapping((m) => mappings.push(m));
mappings.sort((a, b) => a.generatedLine - b.generatedLine || a.generatedColumn - b.generatedColumn);
for (let i = 0; i < mappings.length; i++) {
  const m = mappings[i], n = mappings[i + 1];
  const line = lines[m.generatedLine - 1];
  const end = n && n.generatedLine === m.generatedLine ? n.generatedColumn : line.length;
  const src = (m.source || '?').replace(/.*node_modules\//, 'nm/').replace(/.*\/src\//, 'src/');
  parts[src] = (parts[src] || '') + line.slice(m.generatedColumn, end);
}
const total = gzipSync(code, { level: 9 }).length;
const rows = Object.entries(parts).map(([k, v]) => [k, v.length, gzipSync(v, { level: 9 }).length]).sort((a, b) => b[2] - a[2]);
let sum = 0; for (const r of rows) sum += r[2];
for (const [k, raw, gz] of rows.slice(0, 40)) console.log(String(raw).padStart(7), String(gz).padStart(6), (gz / sum * total / 1024).toFixed(2).padStart(6), k);
console.log('total gz', total, 'sum of parts', sum);
