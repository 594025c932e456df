// "Connecting devices", on the Tokens page: exactly how a product instance reaches this
// satellite — the device listener's URL, whether it is TLS, the token — with requests to copy.
import { card } from '../components/card.ts';
import { codeBox } from '../components/copy.ts';
import { h } from '../dom.ts';

/**
 * The URL devices use. A listener bound to every address (0.0.0.0, [::]) is named by the host
 * this browser reached the dashboard at, which is most often the satellite's name on the network.
 */
export function deviceUrl(listener: string | null, pageHost: string): string {
  if (!listener) return `https://${pageHost}:8182`;
  const u = new URL(listener);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]' || u.hostname === '::') u.hostname = pageHost;
  return u.origin;
}

export function connectDevicesCard(listener: string | null, pageHost: string): HTMLElement {
  const url = deviceUrl(listener, pageHost);
  const tls = url.startsWith('https:');
  const register = [
    `curl -sS -X POST ${url}/v1/register \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d '{"token":"opt_…","udi":{"pid":"C9300-24P","sn":"FOC1234X0AB"},"hostname":"sw-lab-1"}'`,
  ].join('\n');
  const report = [
    `curl -sS -X POST ${url}/v1/reports \\`,
    `  -H 'authorization: Bearer <credential from the answer above>' \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d '{"reportId":"<a new UUID>","window":{"start":"2026-12-06T00:00:00Z","end":"2026-12-06T01:00:00Z"},"usage":[{"entitlement":"network-advantage","count":1}]}'`,
  ].join('\n');
  return card(
    'Connecting devices',
    h(
      'p',
      {},
      'Devices talk to the device listener at ',
      h('code', { 'data-testid': 'device-url' }, url),
      tls
        ? ' over TLS (HTTPS); devices must trust the certificate configured in device.tls.'
        : '. It serves plain HTTP: a token and each device credential travel in the clear. Set device.tls (cert and key) in the configuration before devices leave the lab.',
    ),
    h(
      'ol',
      {},
      h('li', {}, 'Create a token above, in the virtual account the devices belong to, and copy it (it is shown once).'),
      h('li', {}, 'Each device registers once with the token and its UDI (PID and serial number); the answer holds its credential.'),
      h('li', {}, 'It then sends usage reports with that credential, at least as often as the policy in the answer says.'),
    ),
    codeBox('Register a device', register, { rows: 3, testId: 'connect-register' }),
    codeBox('Send a usage report', report, { rows: 4, testId: 'connect-report' }),
    h('p', { class: 'muted' }, 'Devices under Smart Licensing Using Policy need no token when policy mode is on (device.policyMode): they send signed reports to /v1/usage. The README section "Connecting devices" has the details.'),
  );
}
