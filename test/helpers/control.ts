// Calls to a satellite's control socket, as the command line makes them.
import { Agent, request } from 'undici';
import type { Answer } from './satellite.ts';

export async function control<T = any>(socketPath: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const agent = new Agent({ connect: { socketPath } });
  try {
    const res = await request(`http://localhost${path}`, {
      method: method as 'GET',
      dispatcher: agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers as Answer['headers'], body: (text && text.startsWith('{') ? JSON.parse(text) : text) as T };
  } finally {
    await agent.close();
  }
}
