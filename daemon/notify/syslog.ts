// Syslog transports (SPEC §10): RFC 5424 messages (formatted in domain/notify) over UDP (one per
// datagram, RFC 5426), TCP with octet counting (RFC 6587) or TLS (RFC 5425). A stream is kept
// open and reopened after an error; a message counts as sent once the kernel took it.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { octetCounted } from '../domain/notify/index.ts';

export interface SyslogTarget {
  protocol: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
}

/** Parses `udp://host:514`, `tcp://host:601`, `tls://host:6514` (the port defaults to those). */
export function parseSyslogTarget(target: string): SyslogTarget {
  const m = /^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(target);
  if (!m) throw new TypeError(`not a syslog target: ${target}`);
  const protocol = m[1] as SyslogTarget['protocol'];
  const port = m[3] ? Number(m[3]) : protocol === 'udp' ? 514 : protocol === 'tcp' ? 601 : 6514;
  return { protocol, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

export interface SyslogSender {
  /** Sends messages in order; rejects (having sent a prefix, perhaps) if the target is unreachable. */
  send(messages: readonly string[]): Promise<void>;
  close(): void;
}

export function createSyslogSender(target: SyslogTarget, opts: { caFile: string | null; timeoutSeconds: number }): SyslogSender {
  return target.protocol === 'udp' ? udpSender(target) : streamSender(target, opts);
}

function udpSender(t: SyslogTarget): SyslogSender {
  let socket: dgram.Socket | null = null;
  const open = () => {
    if (socket) return socket;
    const s = dgram.createSocket(net.isIPv6(t.host) ? 'udp6' : 'udp4');
    // An ICMP "port unreachable" from an earlier datagram surfaces here: forget the socket.
    s.on('error', () => {
      s.close();
      if (socket === s) socket = null;
    });
    s.unref();
    socket = s;
    return s;
  };
  return {
    async send(messages) {
      const s = open();
      for (const m of messages) {
        await new Promise<void>((resolve, reject) => s.send(Buffer.from(m, 'utf8'), t.port, t.host, (err) => (err ? reject(err) : resolve())));
      }
    },
    close() {
      socket?.close();
      socket = null;
    },
  };
}

function streamSender(t: SyslogTarget, opts: { caFile: string | null; timeoutSeconds: number }): SyslogSender {
  const ca = opts.caFile === null ? undefined : readFileSync(opts.caFile);
  let socket: net.Socket | null = null;
  let broken: Error | null = null;

  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s =
        t.protocol === 'tls'
          ? tls.connect({ host: t.host, port: t.port, ca, servername: net.isIP(t.host) ? undefined : t.host, minVersion: 'TLSv1.2' })
          : net.connect({ host: t.host, port: t.port });
      const timer = setTimeout(() => s.destroy(new Error(`syslog: no connection to ${t.host}:${t.port} within ${opts.timeoutSeconds} s`)), opts.timeoutSeconds * 1000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      s.once('error', fail);
      s.once(t.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.off('error', fail);
        s.setNoDelay(true);
        s.setKeepAlive(true, 60_000);
        s.on('error', (err) => (broken = err));
        s.on('close', () => {
          if (socket === s) socket = null;
        });
        // The receiver says nothing on this channel: anything read is ignored.
        s.on('data', () => {});
        resolve(s);
      });
    });

  return {
    async send(messages) {
      if (socket && broken) {
        socket.destroy();
        socket = null;
      }
      broken = null;
      socket ??= await connect();
      const s = socket;
      const data = Buffer.concat(messages.map(octetCounted));
      await new Promise<void>((resolve, reject) => {
        s.write(data, (err) => (err ? reject(err) : resolve()));
      });
      if (broken) throw broken;
    },
    close() {
      socket?.end();
      socket = null;
    },
  };
}
