// `npm run bench -- notify [--seconds N] [--rounds N] [--events N] [--connections N]`
// Device ingest at full speed while N events (token creations through the control socket) are
// spread evenly over each round: one daemon with syslog (TCP, to rsyslogd) and one webhook (to
// a local HTTP receiver) on, one with notifications off, alternating, both receivers running in
// every round. Prints ingest req/s of each, the ratio on/off, and how long the outbox took to
// drain after the round's last event.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { registerAll, usageReport } from '../simulate-devices.ts';
import { cpuSeconds, fmt, load, median, startOutpost, type LoadResult, type Started } from './lib.ts';

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}

async function startRsyslog(dir: string): Promise<{ port: number; child: ChildProcess; lines: () => number }> {
  const bin = '/usr/sbin/rsyslogd';
  if (!existsSync(bin)) throw new Error(`rsyslogd is not installed at ${bin}`);
  const port = await freePort();
  const out = path.join(dir, 'syslog.log');
  writeFileSync(
    path.join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}")\nmodule(load="imtcp" maxSessions="100")\ninput(type="imtcp" port="${port}" address="127.0.0.1")\n*.* action(type="omfile" file="${out}")\n`,
  );
  const child = spawn(bin, ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, child, lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 1 : 0) };
}

async function metric(admin: string, channel: string): Promise<number> {
  const res = await request(`${admin}/metrics`);
  const text = await res.body.text();
  const m = new RegExp(`outpost_notifications_total\\{channel="${channel}",result="delivered"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

export default async function notify(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '30' },
      rounds: { type: 'string', default: '3' },
      events: { type: 'string', default: '10000' },
      connections: { type: 'string', default: '64' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const events = Number(values.events);
  const connections = Number(values.connections);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'op-bench-notify-'));
  const rs = await startRsyslog(dir);
  let hooks = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hooks++;
      res.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const hookUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`;
  writeFileSync(path.join(dir, 'hook.secret'), 'bench-webhook-secret-0123456789\n');
  writeFileSync(
    path.join(dir, 'on.yaml'),
    `notify:\n  syslog: { target: "tcp://127.0.0.1:${rs.port}" }\n  webhooks:\n    - { url: "${hookUrl}", secretFile: "${path.join(dir, 'hook.secret')}", events: ["*"], allowPrivate: true }\n`,
  );
  const daemons: Record<'off' | 'on', Started> = {} as never;
  try {
    for (const mode of ['off', 'on'] as const) {
      mkdirSync(path.join(dir, mode));
      daemons[mode] = await startOutpost(path.join(dir, mode, 'data'), mode === 'on' ? { OUTPOST_CONFIG: path.join(dir, 'on.yaml') } : {});
    }
    const setup = async (mode: 'off' | 'on') => {
      const agent = new Agent({ connect: { socketPath: path.join(dir, mode, 'data', 'outpost.sock') } });
      const res = await request('http://localhost/api/tokens', {
        method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ virtualAccountId: 'Default', description: 'bench' }),
      });
      const { token } = (await res.body.json()) as { token: string };
      const devices = await registerAll({ url: daemons[mode].device, token, devices: 64 });
      return { agent, devices };
    };
    const ctx = { off: await setup('off'), on: await setup('on') };
    const entitlements = ['network-advantage', 'dna-advantage', 'essentials'];
    const requestsFor = (mode: 'off' | 'on') => {
      let n = 0;
      const devices = ctx[mode].devices;
      return [{
        method: 'POST' as const,
        path: '/v1/reports',
        setupRequest: (req: any) => {
          const i = n++ % devices.length;
          return { ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${devices[i]!.credential}` }, body: JSON.stringify(usageReport(i, entitlements)) };
        },
      }];
    };
    /** `events` token creations spread evenly over the round, through the control socket. */
    const spreadEvents = async (mode: 'off' | 'on'): Promise<number> => {
      const gap = (seconds * 1000) / events;
      const start = performance.now();
      let sent = 0;
      const inflight = new Set<Promise<void>>();
      while (sent < events) {
        const due = start + sent * gap;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const p = request('http://localhost/api/tokens', {
          method: 'POST', dispatcher: ctx[mode].agent, headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ virtualAccountId: 'Default', description: `e${sent}` }),
        }).then((r) => r.body.dump());
        sent++;
        const tracked: Promise<void> = p.finally(() => inflight.delete(tracked));
        inflight.add(tracked);
        if (inflight.size >= 32) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      return performance.now();
    };
    console.log(`notify: ${connections} connections, ${seconds} s per round, ${rounds} rounds, ${events} events per round, 64 devices (syslog TCP to rsyslogd + 1 webhook on, vs off)`);
    const off: LoadResult[] = [];
    const on: LoadResult[] = [];
    const drains: number[] = [];
    /**
     * One round against `mode`'s daemon, with the CPU each side used: when the load generator (this
     * process: autocannon and the event spreader share its one thread) is near 100% of a core, the
     * figure is the generator's limit, not the daemon's.
     */
    const round = async (mode: 'off' | 'on') => {
      const pid = daemons[mode].child.pid!;
      const d0 = cpuSeconds(pid);
      const g0 = process.cpuUsage();
      const [result, lastEvent] = await Promise.all([load({ url: daemons[mode].device, connections, duration: seconds, requests: requestsFor(mode) }), spreadEvents(mode)]);
      const g = process.cpuUsage(g0);
      const d1 = cpuSeconds(pid);
      const wall = seconds;
      return { result, lastEvent, cpu: `load average ${os.loadavg()[0]!.toFixed(1)}, daemon ${fmt(((d1.total - d0.total) / wall) * 100)}% (main ${fmt(((d1.main - d0.main) / wall) * 100)}%), generator ${fmt(((g.user + g.system) / 1e6 / wall) * 100)}%` };
    };
    for (let r = 1; r <= rounds; r++) {
      const offRound = await round('off');
      const offLoad = offRound.result;
      off.push(offLoad);
      const before = { syslog: await metric(daemons.on.admin, 'syslog'), webhook: await metric(daemons.on.admin, 'webhook') };
      const onRound = await round('on');
      const onLoad = onRound.result;
      const lastEvent = onRound.lastEvent;
      on.push(onLoad);
      // Every event of the round (and the round's own) delivered on both channels.
      for (;;) {
        const s = (await metric(daemons.on.admin, 'syslog')) - before.syslog;
        const w = (await metric(daemons.on.admin, 'webhook')) - before.webhook;
        if (s >= events && w >= events) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      drains.push(performance.now() - lastEvent);
      console.log(
        `round ${r}: off ${fmt(offLoad.rps)} req/s (p99 ${offLoad.p99} ms, non-2xx ${offLoad.non2xx}, errors ${offLoad.errors}; CPU ${offRound.cpu}) | ` +
          `on ${fmt(onLoad.rps)} req/s (p99 ${onLoad.p99} ms, non-2xx ${onLoad.non2xx}, errors ${onLoad.errors}; CPU ${onRound.cpu}) | outbox drained ${fmt(drains.at(-1)!)} ms after the last event`,
      );
    }
    const o = median(off.map((x) => x.rps));
    const n = median(on.map((x) => x.rps));
    console.log(`\nmedian ingest, notifications off: ${fmt(o)} req/s`);
    console.log(`median ingest, syslog + webhook on: ${fmt(n)} req/s`);
    console.log(`ratio on / off: ${fmt(n / o, 2)}  (aim ≥ 0.90)`);
    console.log(`median outbox drain after the last event: ${fmt(median(drains))} ms; webhook requests received ${hooks}, syslog lines ${rs.lines()}`);
  } finally {
    for (const d of Object.values(daemons)) await d.stop();
    receiver.close();
    rs.child.kill('SIGTERM');
    await once(rs.child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}
