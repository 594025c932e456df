// How verbs answer: text for people, one JSON document with --json, and one clear line (or the
// §3 error object on stdout with --json) with a non-zero exit on failure.

export class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

export interface Out {
  json: boolean;
  /** Prints `value` as JSON with --json, else `text(value)`. */
  result<T>(value: T, text: (v: T) => string): void;
}

export function makeOut(json: boolean): Out {
  return {
    json,
    result(value, text) {
      process.stdout.write(json ? JSON.stringify(value) + '\n' : text(value) + '\n');
    },
  };
}

export function printError(err: unknown, json: boolean): void {
  const code = err instanceof CliError ? err.code : (err as { code?: string }).code ?? 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  else process.stderr.write(`outpost: ${message}\n`);
}
