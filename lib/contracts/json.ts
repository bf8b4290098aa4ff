// Lossless JSON for request bodies: a strict reader that keeps every number's text. TSE stock ids
// lie beyond JavaScript's safe integers, so JSON.parse would silently round 44891482026867833.

/** A JSON number as written; its meaning is up to the field that holds it. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

/** An object names the same key twice: legal JSON, but which value was meant is anyone's guess. */
export class DuplicateKeyError extends Error {
  constructor(readonly key: string) {
    super(`"${key}" appears more than once`);
    this.name = 'DuplicateKeyError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- control characters must be escaped inside JSON strings
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const MAX_DEPTH = 64;

/** Parses RFC 8259 JSON; numbers come back as JsonNumber, objects without a prototype. */
export function parseJsonLossless(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(
      i >= text.length ? 'unexpected end of input' : `${what} (found ${JSON.stringify(text[i])})`,
      i,
    );
  };
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const literal = (word: string, v: JsonValue): JsonValue => {
    if (!text.startsWith(word, i)) fail('expected a JSON value');
    i += word.length;
    return v;
  };

  function value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipSpace();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const raw = match(NUMBER);
      return raw === undefined ? fail('malformed number') : new JsonNumber(raw);
    }
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    return fail('expected a JSON value');
  }

  function string(): string {
    const raw = match(STRING);
    if (raw === undefined) return fail('malformed string');
    return JSON.parse(raw) as string;
  }

  function object(depth: number): JsonObject {
    i++; // {
    const out: JsonObject = Object.create(null) as JsonObject;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail('expected a quoted key');
      const key = string();
      skipSpace();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      const v = value(depth + 1);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new DuplicateKeyError(key);
      out[key] = v;
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail('expected "," or "}"');
    }
  }

  function array(depth: number): JsonValue[] {
    i++; // [
    const out: JsonValue[] = [];
    skipSpace();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value(depth + 1));
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail('expected "," or "]"');
    }
  }

  const result = value(0);
  skipSpace();
  if (i < text.length) fail('unexpected text after the JSON value');
  return result;
}

/** What a value is, in words a client understands ("a string", "a number", ...). */
export function jsonTypeOf(v: JsonValue): string {
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return 'a number';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? 'a string' : 'a boolean';
}

/**
 * The exact integer a JSON number literal denotes, as digits (sign kept), or undefined when it is not
 * an integer: `1869.0`, `1.869e3` and `1869` are all 1869; `4.4891482026867833e16` is
 * 44891482026867833 exactly. JSON Schema's "integer" means exactly this.
 */
export function exactInteger(raw: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m) return undefined;
  const [, sign, int, frac = '', exp = '0'] = m;
  const e = Number(exp);
  if (!Number.isSafeInteger(e) || Math.abs(e) > 400) {
    // 1e-9999 is no integer; 1e9999 is far beyond any field's maximum: say "not an integer" either way
    // unless it is zero.
    return /^0*$/.test(int + frac) ? '0' : undefined;
  }
  let digits = int + frac;
  let point = int.length + e; // digits before the decimal point
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits = digits.padEnd(point, '0');
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  if (!/^0*$/.test(digits.slice(point))) return undefined;
  return whole === '0' ? '0' : `${sign}${whole}`;
}
