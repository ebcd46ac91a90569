import { createLogger, format, transports } from 'winston';
import type { Logger } from 'winston';
import type Transport from 'winston-transport';

import type { LogLevel } from '../config';

/**
 * Structured JSON logs, one object a line. Secrets are kept out by construction: log calls
 * name their fields, and this format replaces every field whose name says secret, at every depth,
 * before a line is written.
 */
const SECRET_FIELD = /authorization|password|passwd|secret|token|cookie|^pat$/i;
// Identifiers that only point at a secret, and are safe to log.
const SAFE_FIELD = /^(token_?id|token_?kind|.*_?length)$/i;

export const REDACTED = '[redacted]';

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));

  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const secret = SECRET_FIELD.test(key) && !SAFE_FIELD.test(key);
    out[key] = secret ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}

const redaction = format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_FIELD.test(key) && !SAFE_FIELD.test(key)) info[key] = REDACTED;
    else info[key] = redact(info[key]);
  }
  return info;
});

export function createCrgateLogger(level: LogLevel, transport?: Transport): Logger {
  return createLogger({
    level,
    format: format.combine(redaction(), format.timestamp(), format.json()),
    transports: [transport ?? new transports.Console()],
  });
}
