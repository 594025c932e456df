// kill -9 of the real daemon: nothing queued is lost, and the one delivery in flight when it
// died is sent again after the restart with the same delivery id (at least once, SPEC §10).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { control } from '../../helpers/control.ts';
import { makeCertificates, startWebhookReceiver, until } from '../../helpers/notify.ts';
import { daemonEnv, startDaemon } from '../../helpers/process.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('kill -9 between sending and recording', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const hook = await startWebhookReceiver(t, { ...certs, mode: 'hang' });
  writeFileSync(path.join(dir, 'hook.secret'), 'a-webhook-secret-0123456789\n');
  const configFile = path.join(dir, 'outpost.yaml');
  writeFileSync(
    configFile,
    `notify:\n  timeoutSeconds: 30\n  webhooks:\n    - { url: "${hook.url}", secretFile: "${path.join(dir, 'hook.secret')}", events: ["token.*"], caFile: "${certs.ca}", allowPrivate: true }\n`,
  );
  const dataDir = path.join(dir, 'data');
  const env = daemonEnv(dataDir, { OUTPOST_CONFIG: configFile });
  const sock = path.join(dataDir, 'outpost.sock');

  const first = await startDaemon(t, env);
  for (let i = 0; i < 3; i++) {
    const res = await control(sock, 'POST', '/api/tokens', { virtualAccountId: 'Default', description: `t${i}` });
    t.equal(res.status, 201);
  }
  // The first delivery reached the receiver, which holds its answer: the daemon dies now.
  await until(() => hook.requests.length >= 1, 'the first webhook request');
  const inFlight = hook.requests.map((r) => r.headers['x-outpost-delivery'] as string);
  first.child.kill('SIGKILL');
  await first.exited;

  hook.state.mode = 'ok';
  await startDaemon(t, env);
  await until(() => new Set(hook.requests.map((r) => r.headers['x-outpost-delivery'])).size === 3, 'all three deliveries');
  const ids = hook.requests.map((r) => r.headers['x-outpost-delivery'] as string);
  for (const id of inFlight) t.ok(ids.filter((x) => x === id).length >= 2, `${id} sent again after the crash, with the same id`);
  const events = new Set(hook.requests.map((r) => JSON.parse(r.body).id as string));
  t.equal(events.size, 3, 'every event delivered; none lost');
  // Once recorded, nothing more is sent.
  const count = hook.requests.length;
  await new Promise((r) => setTimeout(r, 500));
  t.equal(hook.requests.length, count);
});
