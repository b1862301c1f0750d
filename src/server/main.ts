/**
 * The reference server alone, configured by the environment (see ./env.ts):
 *
 *   node --import tsx src/server/main.ts
 *
 * Exits with status 1 and a plain message when it cannot start (production without GRAPH_MAIL_KEY, a
 * port in use, a bad setting); stops cleanly on SIGINT and SIGTERM.
 */
import { KeyConfigurationError } from './crypto/keys.js';
import { serverOptionsFromEnv } from './env.js';
import { startServer } from './start.js';

try {
  const running = await startServer({ ...serverOptionsFromEnv(), logger: console });
  console.log(`graph-mail: the mail API listens on ${running.apiUrl}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`graph-mail: ${signal}, stopping`);
    void running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  const message = error instanceof KeyConfigurationError || error instanceof Error ? error.message : String(error);
  console.error(`graph-mail: cannot start: ${message}`);
  process.exit(1);
}
