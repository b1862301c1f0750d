/**
 * `npm run sandbox`: the sandbox cloud alone. HTTP on `SANDBOX_PORT` (default 8788), HTTPS on the next
 * port; `SANDBOX_SEED` names another seed file; `SANDBOX_DATA_DIR` (default `.data/sandbox`) keeps the
 * HTTPS certificate and its CA. Prints its URLs and sign-in users; SIGTERM and SIGINT stop it cleanly.
 */
import { resolve } from 'node:path';
import { startSandbox } from './index.js';

const port = Number(process.env.SANDBOX_PORT ?? 8788);
if (!Number.isInteger(port) || port < 0 || port > 65_534) {
  console.error(`SANDBOX_PORT must be a port number (the HTTPS one is the next), not "${process.env.SANDBOX_PORT}".`);
  process.exit(1);
}

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
try {
  sandbox = await startSandbox({
    port,
    seedPath: process.env.SANDBOX_SEED || undefined,
    tlsDir: resolve(process.env.SANDBOX_DATA_DIR || '.data/sandbox'),
  });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(code === 'EADDRINUSE' ? `The sandbox cannot listen: port ${port} or ${port + 1} is in use (set SANDBOX_PORT).` : `The sandbox did not start: ${(error as Error).message}`);
  process.exit(1);
}

const { seed } = sandbox.state;
const firstApp = seed.apps.find((app) => !app.kind || app.kind === 'web');
const lines = [
  'Graph Mail sandbox cloud (offline Microsoft identity platform + Graph mail)',
  `  HTTP:   ${sandbox.origin}`,
  `  HTTPS:  ${sandbox.httpsOrigin}${sandbox.caPath ? `  (trust the CA in ${sandbox.caPath})` : ''}`,
  `  Graph resource for client credentials: ${sandbox.origin}/.default`,
  ...seed.tenants.map((tenant) => `  Tenant: ${tenant.id} (${tenant.domain})`),
  ...(firstApp ? [`  App: ${firstApp.displayName}, client id ${firstApp.clientId} (its secret: GET ${sandbox.origin}/sandbox/seed)`] : []),
  '  Sign-in users:',
  ...seed.users.map((user) => `    ${user.userPrincipalName}  (${user.displayName}, ${user.kind})`),
];
console.log(lines.join('\n'));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await sandbox.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
