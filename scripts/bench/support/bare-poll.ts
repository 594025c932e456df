// The collector case's baseline, in a process of its own: `bare-poll <targets.csv> <ca.pem> <concurrency>`
// makes a poll's requests (close-reports, all-reports; Basic auth, the CA, a fresh connection per
// product as the daemon makes) to every product in the CSV the product emulator printed, at the
// given concurrency, discarding the answers; prints `{"seconds","failed"}` as one JSON line.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';

const [csvFile, caFile, concurrency] = process.argv.slice(2);
const ca = await readFile(caFile!, 'utf8');
const products = (await readFile(csvFile!, 'utf8')).trim().split('\n').slice(1).map((l) => {
  const [url, username, password] = l.split(',');
  return { url: url!, auth: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
});

let failed = 0;
async function poll(p: { url: string; auth: string }): Promise<void> {
  const agent = new Agent({ connect: { ca, maxCachedSessions: 0 } });
  try {
    const close = await request(`${p.url}/smartlic-service/close-reports`, { method: 'POST', dispatcher: agent, headers: { authorization: p.auth, 'content-type': 'application/json' }, body: '{}' });
    await close.body.dump();
    const all = await request(`${p.url}/smartlic-service/all-reports`, { dispatcher: agent, headers: { authorization: p.auth } });
    for await (const _ of all.body) { /* discarded */ }
    if (close.statusCode !== 200 || all.statusCode !== 200) failed++;
  } catch {
    failed++;
  } finally {
    await agent.close();
  }
}

const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
  while (next < products.length) await poll(products[next++]!);
}));
console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, failed }));
