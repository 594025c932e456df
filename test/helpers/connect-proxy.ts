// A tiny HTTPS proxy, run as its own process by the network tests: it tunnels CONNECT requests
// (or refuses them with 403 under --refuse), prints its URL once listening, and one line per
// tunnel, so a test can see the traffic went through it.
//   node --import tsx test/helpers/connect-proxy.ts [--refuse]
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export interface ProxyProcess {
  url: string;
  /** The CONNECT targets seen so far ("host:port"). */
  tunnels: string[];
}

/** Starts the proxy as a child process; killed when the test ends. */
export async function startProxy(t: Test, opts: { refuse?: boolean } = {}): Promise<ProxyProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...(opts.refuse ? ['--refuse'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  const tunnels: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^proxy on (\S+)$/.exec(line);
        if (m) resolve(m[1]!);
        const c2 = /^CONNECT (\S+)/.exec(line);
        if (c2) tunnels.push(c2[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
  });
  return { url, tunnels };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const refuse = process.argv.includes('--refuse');
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end('this proxy only tunnels (CONNECT)\n');
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    process.stdout.write(`CONNECT ${req.url}${refuse ? ' refused' : ''}\n`);
    if (refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      close();
    });
    client.on('error', close);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    process.stdout.write(`proxy on http://127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
