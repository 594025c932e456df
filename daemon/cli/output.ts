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

/**
 * The admin API names its JSON fields (`Field "validDays": …`); a person at a shell typed
 * options. Those the verbs send are said in their words; other fields by their bare name.
 */
const FIELD_WORDS: Record<string, string> = {
  validDays: '--days',
  maxUses: '--uses',
  virtualAccountId: '--va',
  virtualAccount: '--va',
  description: '--description',
  token: '--token',
  username: 'the username',
  password: 'the password',
  newPassword: 'the new password',
  role: '--role',
};

export function plainWords(message: string): string {
  return message.replace(/Field "([^"]+)":?/g, (_, field: string) => {
    const last = field.split('.').at(-1)!;
    return FIELD_WORDS[last] ?? last;
  });
}

export function printError(err: unknown, json: boolean): void {
  const code = err instanceof CliError ? err.code : (err as { code?: string }).code ?? 'INTERNAL';
  const message = plainWords(err instanceof Error ? err.message : String(err));
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  else process.stderr.write(`outpost: ${message}\n`);
}
