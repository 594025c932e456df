// The command line's side of the control socket: the admin API with full rights, by file
// permission. A daemon that is not running is one clear line, not a stack trace.
import { Agent, request } from 'undici';
import type { Readable } from 'node:stream';
import { CliError } from './output.ts';

export class ControlClient {
  readonly #agent: Agent;
  readonly #socketPath: string;

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
    // No timeouts on the local socket: an export or a sync of a million reports takes its time.
    this.#agent = new Agent({ connect: { socketPath }, headersTimeout: 0, bodyTimeout: 0 });
  }

  async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await this.#send(method, path, body === undefined ? undefined : { type: 'application/json', data: JSON.stringify(body) });
    const text = await res.body.text();
    return this.#decode<T>(res.statusCode, text);
  }

  /** For streamed answers (backup, export): the body, once the status says it is good. */
  async stream(method: 'GET' | 'POST', path: string, body?: { type: string; data: string | Buffer | Readable }): Promise<Readable> {
    const res = await this.#send(method, path, body);
    if (res.statusCode >= 400) this.#decode(res.statusCode, await res.body.text());
    return res.body as unknown as Readable;
  }

  /** A streamed answer with its headers (export, registration request). */
  async download(method: 'GET' | 'POST', path: string, json?: unknown): Promise<{ headers: Record<string, string | string[] | undefined>; body: Readable }> {
    const res = await this.#send(method, path, json === undefined ? undefined : { type: 'application/json', data: JSON.stringify(json) });
    if (res.statusCode >= 400) this.#decode(res.statusCode, await res.body.text());
    return { headers: res.headers, body: res.body as unknown as Readable };
  }

  /** Sends a streamed body (a bundle) and decodes the JSON answer. */
  async upload<T>(path: string, type: string, data: Readable, length?: number): Promise<T> {
    const res = await this.#send('POST', path, { type, data, length });
    return this.#decode<T>(res.statusCode, await res.body.text());
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #send(method: string, path: string, body?: { type: string; data: string | Buffer | Readable; length?: number }) {
    try {
      return await request(`http://localhost${path}`, {
        method: method as 'GET',
        dispatcher: this.#agent,
        headers: body ? { 'content-type': body.type, ...(body.length !== undefined ? { 'content-length': String(body.length) } : {}) } : {},
        body: body?.data,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') {
        throw new CliError('UNAVAILABLE', `Outpost is not running (no control socket at ${this.#socketPath}).`);
      }
      if (code === 'EACCES') throw new CliError('FORBIDDEN', `No permission to use the control socket ${this.#socketPath}.`);
      throw err;
    }
  }

  #decode<T>(status: number, text: string): T {
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new CliError('INTERNAL', `The daemon answered ${status} with a body that is not JSON.`);
    }
    if (status >= 400) {
      const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      throw new CliError(e?.code ?? 'INTERNAL', e?.message ?? `The daemon answered ${status}.`);
    }
    return parsed as T;
  }
}
