/**
 * The configuration routes of the REST contract (DESIGN.md): `GET/PUT/DELETE /config`, `GET /clouds`,
 * `GET /endpoints/defaults?cloud=`, and `GET /audit` (the trail of configuration changes).
 */
import type { Context, Hono } from 'hono';
import type { CloudId, CloudInfo } from '../../services/contract.js';
import { CLOUD_PRESETS, NATIONAL_CLOUD_IDS, sandboxPreset } from '../../services/endpoints.js';
import { ConfigLockedError, ConfigStaleError, ConfigValidationError, type ConfigService } from '../config/service.js';
import type { AdminEnv, AdminIdentity } from '../http/security.js';
import { problem, readJsonBody, validationProblem } from '../http/problem.js';
import { DEFAULT_CONFIG_ID } from '../store/types.js';

/** The largest configuration body: two PEM fields of 20,000 characters and the rest. */
const MAX_CONFIG_BODY = 256 * 1024;

export interface ConfigRouteOptions {
  config: ConfigService;
  /** The sandbox cloud's exact origin, when the server offers it. */
  sandboxOrigin?: string;
  /** After a configuration was saved (the outbox looks at its paused messages again). */
  onSaved?(configId: string): void;
}

/** The clouds this server offers, in the order the form lists them. */
export function cloudList(sandboxOrigin?: string): CloudInfo[] {
  const clouds: CloudInfo[] = NATIONAL_CLOUD_IDS.map((id) => {
    const preset = CLOUD_PRESETS[id];
    return { id, label: preset.label, loginHost: preset.loginHost, graphHost: preset.graphHost };
  });
  if (sandboxOrigin) {
    const preset = sandboxPreset(sandboxOrigin);
    clouds.push({ id: 'sandbox', label: 'Sandbox', loginHost: preset.loginHost, graphHost: preset.graphHost });
  }
  return clouds;
}

const actorOf = (admin: AdminIdentity | undefined) => admin?.id ?? 'unknown';

export function mountConfigRoutes(router: Hono<AdminEnv>, options: ConfigRouteOptions): void {
  const { config } = options;
  // The server's configIdOf hook names each request's configuration; a router used on its own has one.
  const configOf = (c: Context<AdminEnv>): string => c.get('configId') ?? DEFAULT_CONFIG_ID;

  router.get('/config', async (c) => {
    const view = await config.view(configOf(c));
    return c.json(view, 200, { etag: view.etag, 'cache-control': 'no-store' });
  });

  router.put('/config', async (c) => {
    const body = await readJsonBody(c.req.raw, MAX_CONFIG_BODY);
    if (!body.ok) return body.response;
    if (body.value === undefined) return validationProblem([{ path: '', message: 'Send the configuration as a JSON object.' }]);
    const configId = configOf(c);
    try {
      const view = await config.save(configId, body.value, { ifMatch: c.req.header('if-match'), actor: actorOf(c.get('admin')) });
      options.onSaved?.(configId);
      return c.json(view, 200, { etag: view.etag, 'cache-control': 'no-store' });
    } catch (error) {
      if (error instanceof ConfigValidationError) return validationProblem(error.errors);
      if (error instanceof ConfigStaleError) return problem(412, 'Precondition failed', error.message, {}, { etag: error.currentEtag });
      if (error instanceof ConfigLockedError) {
        return problem(409, 'Conflict', error.message, {
          errors: error.fields.map((path) => ({ path, message: 'This setting cannot change while a mailbox is connected. Disconnect first.' })),
        });
      }
      throw error;
    }
  });

  router.delete('/config', async (c) => {
    await config.clear(configOf(c), actorOf(c.get('admin')));
    return c.body(null, 204);
  });

  router.get('/clouds', (c) => c.json(cloudList(options.sandboxOrigin), 200));

  router.get('/endpoints/defaults', (c) => {
    const cloud = (c.req.query('cloud') ?? 'global') as CloudId;
    if (!config.offers(cloud)) {
      return validationProblem([{ path: 'cloud', message: 'Choose a Domain (national cloud) that this server offers.' }]);
    }
    return c.json({ cloud, endpoints: config.defaultsFor(cloud) }, 200);
  });

  router.get('/audit', async (c) => {
    const limitText = c.req.query('limit');
    const beforeText = c.req.query('before');
    const limit = limitText === undefined ? 50 : Number(limitText);
    const before = beforeText === undefined ? undefined : Number(beforeText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return validationProblem([{ path: 'limit', message: 'Limit must be a whole number from 1 to 200.' }]);
    if (before !== undefined && (!Number.isInteger(before) || before < 1)) return validationProblem([{ path: 'before', message: 'The page cursor is not valid: start again from the first page.' }]);
    const items = await config.store.listAudit(configOf(c), { limit, beforeId: before });
    const nextCursor = items.length === limit ? String(items[items.length - 1].id) : null;
    return c.json({ items, nextCursor }, 200);
  });
}
