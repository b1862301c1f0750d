// The demo admin portal: a host page that bundles the ESM build, gives every element one HttpAdapter
// and lets the admin switch the language. Everything an administrator needs is in the elements; the
// box above the form only lists the sandbox values, which a real tenant's admin reads in Azure.
import { defineAll } from '../../registry.js';
import '../../locales/de/index.js';
import { HttpAdapter } from '../../services/http-adapter.js';

defineAll();

const adapter = new HttpAdapter({ baseUrl: '/api/mail' });
for (const element of document.querySelectorAll('email-config-form, notification-log')) {
  (element as HTMLElement & { adapter: HttpAdapter }).adapter = adapter;
}

const language = document.querySelector<HTMLSelectElement>('#language')!;
language.value = localStorage.getItem('demo-language') ?? 'en';
document.documentElement.lang = language.value;
language.addEventListener('change', () => {
  document.documentElement.lang = language.value;
  localStorage.setItem('demo-language', language.value);
});

interface DemoInfo {
  sandbox?: { origin: string; tenantId: string; clientId: string; users: string[] };
}

/** The sandbox values, so that a newcomer can finish the form without an Azure tenant. */
async function showSandboxValues(): Promise<void> {
  const response = await fetch('/demo/info.json');
  if (!response.ok) return;
  const info = (await response.json()) as DemoInfo;
  if (!info.sandbox) return;
  const rows: Array<[string, string]> = [
    ['Domain', 'Sandbox'],
    ['Tenant ID', info.sandbox.tenantId],
    ['Application (client) ID', info.sandbox.clientId],
    ['Client secret', 'printed in the terminal where npm start runs (the page never shows a secret)'],
    ['Sign in as', info.sandbox.users.join(', ')],
  ];
  const list = document.querySelector('#sandbox-values')!;
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }
  document.querySelector<HTMLElement>('#sandbox-help')!.hidden = false;
}

// "Use the sandbox app": the demo server saves the sandbox's values itself, so the secret never
// passes through the browser; the form then shows them as if the admin had typed them.
document.querySelector('#use-sandbox')?.addEventListener('click', async () => {
  const response = await fetch('/demo/use-sandbox', { method: 'POST', headers: { 'X-Requested-With': 'graph-mail' } });
  if (response.ok) location.reload();
});
void showSandboxValues();
