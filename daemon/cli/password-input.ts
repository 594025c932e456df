// Passwords for `user add` and `user passwd`: from --password-file (its first line), from a
// prompt that does not echo (twice, to confirm), or, when stdin is not a terminal, its first line.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError } from './output.ts';

export async function readPassword(opts: { file?: string; prompt: string }): Promise<string> {
  let password: string;
  if (opts.file !== undefined) {
    const text = await readFile(opts.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError('INVALID_REQUEST', `cannot read ${opts.file}: ${err.code ?? err.message}`);
    });
    password = text.split(/\r?\n/)[0] ?? '';
  } else if (process.stdin.isTTY) {
    password = await promptHidden(`${opts.prompt}: `);
    const again = await promptHidden('Again: ');
    if (again !== password) throw new CliError('INVALID_REQUEST', 'the two passwords differ');
  } else {
    password = await firstLine();
  }
  if (password.length === 0) throw new CliError('INVALID_REQUEST', 'the password is empty');
  return password;
}

async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
    process.stdin.destroy();
  }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new CliError('INVALID_REQUEST', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
