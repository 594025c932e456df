// Email through an SMTP relay with nodemailer (SPEC §10): STARTTLS (required, not opportunistic),
// implicit TLS or none; the CA from `caFile`; the password read from `passwordFile` at start and
// never logged. Each message carries its delivery id, as a header and in its Message-ID, so a
// duplicate after a crash between sending and recording can be recognised.
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { RenderedEmail } from '../domain/notify/index.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  username: string | null;
  passwordFile: string | null;
  caFile: string | null;
  from: string;
  /** Seconds for the connection, the greeting and each reply. */
  timeoutSeconds: number;
}

export interface Mailer {
  send(to: string, mail: RenderedEmail, deliveryId: string): Promise<void>;
  close(): void;
}

/** Reads a secret file: its content without the trailing newline. */
export const readSecretFile = (file: string): string => readFileSync(file, 'utf8').replace(/\r?\n$/, '');

export function createMailer(s: SmtpSettings): Mailer {
  const password = s.passwordFile === null ? null : readSecretFile(s.passwordFile);
  const ca = s.caFile === null ? undefined : readFileSync(s.caFile);
  const ms = s.timeoutSeconds * 1000;
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    auth: s.username === null ? undefined : { user: s.username, pass: password ?? '' },
    tls: { ca, minVersion: 'TLSv1.2' },
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    // One message per connection: a relay that dropped us never leaves a dead pooled socket.
    pool: false,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });
  const domain = s.from.slice(s.from.lastIndexOf('@') + 1) || 'outpost.invalid';
  return {
    async send(to, mail, deliveryId) {
      await transport.sendMail({
        from: s.from,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${deliveryId}@${domain}>`,
        headers: { 'X-Outpost-Delivery': deliveryId },
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
    close: () => transport.close(),
  };
}

/** An error as a delivery records it: the message, never credentials (nodemailer does not echo them). */
export function smtpError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const what = e.responseCode ? `${e.responseCode} ` : e.code ? `${e.code}: ` : '';
  return `${what}${String(e.message ?? err)}`.replace(/[\r\n]+/g, ' ').slice(0, 300);
}
