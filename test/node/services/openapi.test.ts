// The OpenAPI document of the REST contract must say what the code checks: the committed file is
// compared with the valibot schemas field by field, every path of the contract is in it, and the
// conformance checker the server tests use to hold real responses against it really rejects drift.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OPENAPI_PATH, REQUEST_SCHEMAS, buildDocument, requestSchema } from '../../../scripts/openapi.js';
import { component, conformanceErrors } from '../helpers/openapi-conformance.js';

type Json = Record<string, unknown>;
const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Json;

/** Every difference between two schemas, one line per field, so a failure names what drifted. */
function fieldDifferences(documented: Json, fromCode: Json, path: string): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(documented), ...Object.keys(fromCode)])) {
    const a = documented[key];
    const b = fromCode[key];
    if (key === 'properties' && a && b) {
      const docProps = a as Record<string, Json>;
      const codeProps = b as Record<string, Json>;
      for (const name of new Set([...Object.keys(docProps), ...Object.keys(codeProps)])) {
        if (!(name in codeProps)) out.push(`${path}.${name}: documented but not in the schema`);
        else if (!(name in docProps)) out.push(`${path}.${name}: in the schema but not documented`);
        else out.push(...fieldDifferences(docProps[name], codeProps[name], `${path}.${name}`));
      }
    } else if (key === 'items' && a && b && !Array.isArray(a)) {
      out.push(...fieldDifferences(a as Json, b as Json, `${path}[]`));
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${path} ${key}: documented ${JSON.stringify(a)}, schema says ${JSON.stringify(b)}`);
    }
  }
  return out;
}

describe('docs/openapi.json', () => {
  it('is an OpenAPI 3.1 document', () => {
    assert.match(String(committed.openapi), /^3\.1\.\d+$/);
    assert.ok((committed.info as Json).title);
  });

  for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) {
    it(`describes ${name} exactly as the shared schema checks it, field by field`, () => {
      const differences = fieldDifferences(component(committed, name), requestSchema(schema), name);
      assert.deepEqual(differences, [], `run npm run openapi:\n${differences.join('\n')}`);
    });
  }

  it('has every route of the fixed contract with its methods', () => {
    const expected: Record<string, string[]> = {
      '/config': ['get', 'put', 'delete'],
      '/clouds': ['get'],
      '/endpoints/defaults': ['get'],
      '/connect': ['post'],
      '/connect/callback': ['get'],
      '/connect/status': ['get'],
      '/disconnect': ['post'],
      '/test': ['post'],
      '/log': ['get'],
      '/log/{id}': ['get'],
      '/log/{id}/retry': ['post'],
      '/log.csv': ['get'],
      '/send': ['post'],
      '/health': ['get'],
    };
    const paths = committed.paths as Record<string, Json>;
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(paths[path], `${path} is missing`);
      assert.deepEqual(Object.keys(paths[path]).sort(), [...methods].sort(), `methods of ${path}`);
    }
  });

  it('is what npm run openapi makes now (not stale)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildDocument())), 'docs/openapi.json is stale: run npm run openapi');
  });

  it('lets the conformance check catch a missing field, an undocumented one and a wrong enum', () => {
    const view = component(committed, 'ConnectStatus');
    assert.deepEqual(conformanceErrors({ state: 'pending' }, view, committed), []);
    assert.deepEqual(conformanceErrors({}, view, committed), ['$.state: required by the document, missing']);
    assert.deepEqual(conformanceErrors({ state: 'pending', token: 'x' }, view, committed), ['$.token: not described in the document']);
    assert.equal(conformanceErrors({ state: 'done' }, view, committed).length, 1);
    const page = { items: [{ id: '1', createdAt: 'x', to: ['a@b.test'], subject: 's', status: 'sent', attempts: 1, durationMs: 3, source: 'app' }], nextCursor: null, counts: { queued: 0, sending: 0, sent: 1, failed: 0, unknown: 0 } };
    assert.deepEqual(conformanceErrors(page, component(committed, 'LogPage'), committed), []);
    page.items[0].status = 'lost';
    assert.match(conformanceErrors(page, component(committed, 'LogPage'), committed)[0], /items\[0\]\.status/);
  });
});
