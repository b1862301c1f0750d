/**
 * Checks a real response body against a schema of docs/openapi.json: every required property present,
 * no property the document does not describe, types and enums as documented. A small subset of JSON
 * Schema (type, enum, properties, required, items, $ref, anyOf) is all the document uses, so a few
 * lines cover it where a full validator would be a dependency for one test.
 */
type Json = Record<string, unknown>;

export function conformanceErrors(value: unknown, schema: Json, document: Json, path = '$'): string[] {
  if (typeof schema.$ref === 'string') return conformanceErrors(value, resolveRef(document, schema.$ref), document, path);
  if (Array.isArray(schema.anyOf)) {
    const options = schema.anyOf as Json[];
    return options.some((option) => conformanceErrors(value, option, document, path).length === 0) ? [] : [`${path}: matches none of the allowed shapes`];
  }
  const errors: string[] = [];
  const types = schema.type === undefined ? [] : ([] as string[]).concat(schema.type as string | string[]);
  if (types.length > 0 && !types.some((type) => hasType(value, type))) return [`${path}: expected ${types.join(' or ')}, got ${value === null ? 'null' : typeof value}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (value && typeof value === 'object' && !Array.isArray(value) && schema.properties) {
    const properties = schema.properties as Record<string, Json>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) errors.push(`${path}.${key}: required by the document, missing`);
    for (const [key, item] of Object.entries(value)) {
      if (!(key in properties)) errors.push(`${path}.${key}: not described in the document`);
      else if (item !== undefined) errors.push(...conformanceErrors(item, properties[key], document, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, index) => errors.push(...conformanceErrors(item, schema.items as Json, document, `${path}[${index}]`)));
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

export function resolveRef(document: Json, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`only local references are used: ${ref}`);
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Json | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    if (node === undefined) throw new Error(`unresolved reference ${ref}`);
  }
  return node as Json;
}

/** The schema of a component by name. */
export const component = (document: Json, name: string): Json => resolveRef(document, `#/components/schemas/${name}`);
