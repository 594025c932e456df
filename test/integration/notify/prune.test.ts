// Delivery records are pruned by the retention run (SPEC §10 lists them; notify.retentionDays
// keeps them): delivered or failed ones once their last attempt is that old, oldest first, in
// chunks through the writer, never a pending one nor anything queued after it, one notify.pruned
// event per run. A real satellite, a real HTTPS webhook receiver, the job table's retention job.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { createDeliveryPruner } from '../../../daemon/domain/notify/prune.ts';
import { keys } from '../../../daemon/store/index.ts';
import { control } from '../../helpers/control.ts';
import { makeCertificates, startWebhookReceiver, until } from '../../helpers/notify.ts';
import { http, startSatellite } from '../../helpers/satellite.ts';
import { tempDir } from '../../helpers/tmp.ts';

t.test('finished deliveries go after notify.retentionDays; a pending one and what follows stay', async (t) => {
  const dir = tempDir(t);
  const certs = await makeCertificates(dir);
  const secretFile = path.join(dir, 'hook.secret');
  writeFileSync(secretFile, 'a-webhook-secret-0123456789\n');
  const hook = await startWebhookReceiver(t, certs);
  const sat = await startSatellite(t, {
    config: {
      'notify.webhooks': [{ url: hook.url, secretFile, events: ['virtual-account.*'], caFile: certs.ca, allowPrivate: true }],
      'notify.timeoutSeconds': 2,
      'notify.retentionDays': 30,
    },
  });
  const { notifications } = sat.services;
  const sock = (method: string, p: string, body?: unknown) => control(sat.socketPath, method, p, body);
  const deliveries = async () => (await sock('GET', '/api/notifications/deliveries?limit=100')).body.items as Array<{ id: string; state: string; eventType: string }>;
  const prunedEvents = async () => (await sock('GET', '/api/events?type=notify.pruned')).body.items as Array<{ actor: string; details: Record<string, unknown> }>;
  const retention = sat.schedule.jobs.find((j) => j.name === 'retention')!;

  for (const name of ['A', 'B', 'C']) t.equal((await sock('POST', '/api/virtual-accounts', { name, parentId: 'Default' })).status, 201);
  await until(() => notifications.pending() === 0 && hook.requests.length === 3, 'three deliveries');
  hook.state.mode = 'error';
  await sock('POST', '/api/virtual-accounts', { name: 'D', parentId: 'Default' });
  await until(async () => (await deliveries()).some((d) => d.state === 'pending' && d.id !== undefined && hook.requests.length === 4), 'a pending delivery (the receiver answers 500)');
  hook.state.mode = 'ok';
  t.equal((await deliveries()).length, 4);

  sat.clock.advanceDays(29);
  await sat.schedule.runJob(retention);
  t.equal((await deliveries()).length, 4, '29 days on: nothing goes');
  t.same(await prunedEvents(), [], 'and no event');

  sat.clock.advanceDays(2);
  await sat.schedule.runJob(retention);
  const left = await deliveries();
  t.equal(left.length, 1, '31 days on: the three delivered go');
  t.equal(left[0]!.eventType, 'virtual-account.created');
  t.not(left[0]!.state, 'delivered', 'the one left is the one that was pending');
  t.ok(sat.logs.some((l) => l.includes('(and 3 notification deliveries)')), 'the run says so in its log line');
  t.match(await prunedEvents(), [{ actor: 'system', details: { deliveries: 3, retentionDays: 30 } }], 'one notify.pruned event');
  t.match((await http('GET', `${sat.admin}/metrics`)).body, /outpost_retention_pruned_total\{kind="deliveries"\} 3\n/);
  t.equal((await sat.ctx.store.get<{ through: number }>(keys.deliveriesPruned))?.through, 3, 'how far pruning got');

  // The pending one is tried again now (the receiver answers again): it settles.
  notifications.kickAll();
  await until(() => notifications.pending() === 0, 'the pending delivery settles');
  t.not((await deliveries())[0]!.state, 'pending');
  const sent = hook.requests.length;
  await sock('POST', '/api/virtual-accounts', { name: 'E', parentId: 'Default' });
  await until(() => notifications.pending() === 0 && hook.requests.length === sent + 1, 'a fifth delivery');
  t.equal((await deliveries()).length, 2);

  sat.clock.advanceDays(31);
  // One at a time: two writes, one event, and the records of both gone.
  t.equal(await createDeliveryPruner(sat.ctx, { chunk: 1 }).prune(sat.clock()), 2, 'the settled one goes too, chunk by chunk');
  t.same(await deliveries(), []);
  t.equal((await prunedEvents()).length, 2, 'one event per run, not per chunk');
  t.equal(await sat.ctx.store.get(keys.delivery(4)), undefined);
  t.equal(await createDeliveryPruner(sat.ctx).prune(sat.clock()), 0, 'a run with nothing to prune');
  t.equal((await prunedEvents()).length, 2, 'writes no event');
});
