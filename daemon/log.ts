// Structured logs: one JSON object a line on stdout. Secrets are never passed to the logger;
// the redaction list is a second guard for headers that could carry them.
import pino, { type Logger } from 'pino';

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'outpost' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['*.authorization', '*.cookie', '*.password', '*.token', '*.credential'], censor: '[redacted]' },
    },
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
