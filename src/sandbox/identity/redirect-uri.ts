/**
 * Redirect URI matching: exact, except the identity platform's loopback rule: for a registered
 * `http://localhost` or `http://127.0.0.1` URI the port is ignored, so a native or local app may
 * listen on any port.
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function withoutPort(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
    return `${url.protocol}//${url.hostname}${url.pathname}${url.search}`;
  } catch {
    return undefined;
  }
}

export function matchesRegisteredUri(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const loose = withoutPort(requested);
  return loose !== undefined && registered.some((uri) => withoutPort(uri) === loose);
}
