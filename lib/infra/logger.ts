// Structured logs: one JSON object per line, with the domain's ids as fields. Anything shaped like an
// API key is masked on the way out, whatever field it hides in (a client may paste its key into a URL
// or a body field; no code logs a key on purpose).
import { API_KEY_ANYWHERE } from '../contracts/ids';
type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** An error as JSON: name, message, stack, and its cause chain (a few levels, cycles cut). */
export function serialiseError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  const cause: unknown = err.cause;
  if (cause !== undefined && depth < 5) {
    // A cause that is not an Error is logged as its text; its fields are not walked (they may cycle).
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    out.cause = cause instanceof Error ? serialiseError(cause, depth + 1) : String(cause);
  }
  return out;
}

function serialise(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? serialiseError(v) : typeof v === 'bigint' ? v.toString() : v;
  }
  return out;
}

export function createLogger(
  name: string,
  level: Level = 'info',
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const emit = (lvl: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (rank[lvl] < rank[level]) return;
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: lvl,
        name,
        msg,
        ...serialise(base),
        ...serialise(fields),
      }).replace(API_KEY_ANYWHERE, 'bourse_[redacted]') + '\n',
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(name, level, { ...base, ...fields }, write),
  };
}
