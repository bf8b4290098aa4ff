// The consumer's fast tick validator (readPriceTick, lib/contracts/price-tick.ts) against the zod
// schema it stands in for: each rule it enforces, then identical verdicts and outputs on a corpus
// of good and bad ticks; and parseTickMessage against the zod-only reading it replaced.
import type { KafkaMessage } from 'kafkajs';
import { ISO_DATETIME, priceTickSchema, readPriceTick, type PriceTick } from '../../lib/contracts/price-tick';
import { isWholeMinute, lastParsed } from '../../lib/contracts/time';
import { parseTickMessage } from '../../lib/prices/ingest/parse';
import { simulatedTick } from '../../lib/prices/sources/simulated';

const good: PriceTick = {
  stockId: '44891482026867833',
  minute: '2025-10-08T05:30:00.000Z',
  price: 20970,
  last: 20885,
  open: 20780,
  low: 20780,
  high: 20970,
  yesterday: 20695,
  trades: 315,
  volume: 1154475,
  value: 24209340750,
  source: 'simulated',
  fetchedAt: '2025-10-08T05:30:01.196Z',
};

/** The two verdicts, and the two outputs as JSON (so key order counts too). */
function both(value: unknown): { zod: string | undefined; fast: string | undefined } {
  const z = priceTickSchema.safeParse(value);
  const fast = readPriceTick(value);
  return { zod: z.success ? JSON.stringify(z.data) : undefined, fast: fast && JSON.stringify(fast) };
}

const withField = (field: string, value: unknown) => ({ ...good, [field]: value });
const without = (field: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== field));

const POSITIVE_INTS = ['price', 'last', 'open', 'low', 'high', 'yesterday'];
const COUNTS = ['trades', 'volume'];
const DATETIMES = ['minute', 'fetchedAt'];
const FIELDS = Object.keys(good);

describe('readPriceTick: each rule of the tick schema', () => {
  it('uses the very date-time pattern z.iso.datetime() checks', () => {
    for (const f of DATETIMES) {
      const shape = priceTickSchema.shape[f as 'minute'] as unknown as { _zod: { def: { pattern: RegExp } } };
      expect(shape._zod.def.pattern.source).toBe(ISO_DATETIME.source);
    }
  });

  it('accepts a good tick and returns it as it is (nothing built)', () => {
    const v = JSON.parse(JSON.stringify(good)) as unknown;
    expect(readPriceTick(v)).toBe(v);
  });

  it.each([
    ['null', null],
    ['an array', [good]],
    ['a string', JSON.stringify(good)],
    ['a number', 1],
    ['undefined', undefined],
  ])('refuses %s as the root', (_, v) => {
    expect(readPriceTick(v)).toBeUndefined();
    expect(priceTickSchema.safeParse(v).success).toBe(false);
  });

  it.each(FIELDS)('refuses a tick without %s', (field) => {
    expect(both(without(field))).toEqual({ zod: undefined, fast: undefined });
  });

  it.each([
    ['14 digits', '44891482026867'],
    ['18 digits', '448914820268678331'],
    ['a letter', '4489148202686783a'],
    ['a trailing newline', '448914820268678\n'],
    ['a space', ' 44891482026867833'],
    ['a number, not a string', 44891482026867],
    ['Persian digits', '۴۴۸۹۱۴۸۲۰۲۶۸۶۷۸۳'],
  ])('stockId: refuses %s', (_, v) => {
    expect(both(withField('stockId', v))).toEqual({ zod: undefined, fast: undefined });
  });

  it.each(['778253364357513', '4489148202686783', '44891482026867833'])('stockId: accepts %s', (v) => {
    expect(both(withField('stockId', v)).fast).toBeDefined();
  });

  describe.each(DATETIMES)('%s (ISO 8601 UTC date-time)', (field) => {
    it.each([
      ['no Z', '2025-10-08T05:30:00'],
      ['an offset', '2025-10-08T05:30:00+03:30'],
      ['no seconds', '2025-10-08T05:30Z'],
      ['lowercase t and z', '2025-10-08t05:30:00z'],
      ['30 February', '2025-02-30T05:30:00Z'],
      ['29 February of a common year', '2025-02-29T05:30:00Z'],
      ['hour 24', '2025-10-08T24:00:00Z'],
      ['a dot without digits', '2025-10-08T05:30:00.Z'],
      ['a trailing space', '2025-10-08T05:30:00Z '],
      ['a date only', '2025-10-08'],
      ['a number', 1759901400000],
      ['null', null],
    ])('refuses %s', (_, v) => {
      expect(both(withField(field, v))).toEqual({ zod: undefined, fast: undefined });
    });

    it.each([
      '2024-02-29T05:30:00Z',
      '2000-02-29T00:00:00.000Z',
      '2025-10-08T05:30:00.123456789Z',
      '2025-12-31T23:59:59Z',
    ])('accepts %s', (v) => {
      expect(both(withField(field, v)).fast).toBeDefined();
    });
  });

  describe.each(POSITIVE_INTS)('%s (positive integer)', (field) => {
    it.each([
      ['0', 0],
      ['-0', -0],
      ['a negative', -1],
      ['a fraction', 1.5],
      ['2^53 (beyond the safe integers)', 2 ** 53],
      ['Infinity (JSON 1e400)', Infinity],
      ['NaN', NaN],
      ['a numeric string', '20970'],
      ['null', null],
      ['true', true],
    ])('refuses %s', (_, v) => {
      expect(both(withField(field, v))).toEqual({ zod: undefined, fast: undefined });
    });

    it.each([1, 2 ** 53 - 1, 1e15])('accepts %s', (v) => {
      expect(both(withField(field, v)).fast).toBeDefined();
    });
  });

  describe.each(COUNTS)('%s (integer ≥ 0)', (field) => {
    it.each([
      ['a negative', -1],
      ['a fraction', 0.5],
      ['2^53', 2 ** 53],
      ['Infinity', Infinity],
      ['a numeric string', '1'],
    ])('refuses %s', (_, v) => {
      expect(both(withField(field, v))).toEqual({ zod: undefined, fast: undefined });
    });

    it.each([0, -0, 1, 2 ** 53 - 1])('accepts %s', (v) => {
      expect(both(withField(field, v)).fast).toBeDefined();
    });
  });

  it.each([
    ['a negative', -0.5],
    ['Infinity', Infinity],
    ['NaN', NaN],
    ['a numeric string', '1'],
    ['null', null],
  ])('value (number ≥ 0): refuses %s', (_, v) => {
    expect(both(withField('value', v))).toEqual({ zod: undefined, fast: undefined });
  });

  it.each([0, -0, 0.5, 1e300, 2 ** 60])('value: accepts %s (any finite number ≥ 0)', (v) => {
    expect(both(withField('value', v)).fast).toBeDefined();
  });

  it.each(['Simulated', 'TSETMC', '', 'live', null, 1])('source: refuses %s', (v) => {
    expect(both(withField('source', v))).toEqual({ zod: undefined, fast: undefined });
  });

  it('source: accepts simulated and tsetmc', () => {
    for (const v of ['simulated', 'tsetmc']) expect(both(withField('source', v)).fast).toBeDefined();
  });

  it('drops unknown fields as zod does: a copy in the schema order', () => {
    const v = { note: 1, ...good, __proto__: null, extra: { a: 1 } };
    const r = both(JSON.parse(JSON.stringify(v)));
    expect(r.fast).toBe(r.zod);
    expect(r.fast).toBe(JSON.stringify(good));
  });
});

/** Every field set to every value some rule above is about: the whole cross product, one field at a time. */
const VALUES: unknown[] = [
  ...new Set<unknown>([
    '44891482026867833',
    '778253364357513',
    '4489148202686783a',
    '2025-10-08T05:30:00.000Z',
    '2025-10-08T05:30:00Z',
    '2025-10-08T05:30:00+00:00',
    '2025-02-29T00:00:00Z',
    '2024-02-29T00:00:00Z',
    'simulated',
    'tsetmc',
    'TSETMC',
    '',
    '1',
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    2 ** 53 - 1,
    2 ** 53,
    1e300,
    Infinity,
    -Infinity,
    NaN,
    null,
    true,
    false,
    [],
    {},
    [1],
  ]),
];

describe('readPriceTick and priceTickSchema: identical verdicts and outputs on a corpus', () => {
  it('on every field × every value of the corpus, and on each field missing', () => {
    let accepted = 0;
    let refused = 0;
    for (const field of FIELDS) {
      for (const v of [...VALUES, undefined]) {
        const r = both(v === undefined ? without(field) : withField(field, v));
        expect({ field, v, verdict: r.fast }).toEqual({ field, v, verdict: r.zod });
        if (r.zod) accepted++;
        else refused++;
      }
    }
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(200);
  });

  it('on simulated ticks of many stocks and minutes, in their JSON form', () => {
    for (let i = 0; i < 500; i++) {
      const t = simulatedTick(
        `81${String(i).padStart(15, '0')}`,
        new Date(Date.UTC(2025, 9, 8) + i * 61_000),
      );
      const r = both(JSON.parse(JSON.stringify(t)));
      expect(r.fast).toBeDefined();
      expect(r.fast).toBe(r.zod);
    }
  });

  it('on two fields wrong at once, in any key order', () => {
    const pairs: [string, unknown][] = [
      ['price', 0],
      ['minute', 'x'],
      ['source', 'x'],
      ['stockId', 1],
      ['value', -1],
    ];
    for (const [f1, v1] of pairs) {
      for (const [f2, v2] of pairs) {
        const shuffled = Object.fromEntries(Object.entries({ ...good, [f1]: v1, [f2]: v2 }).reverse());
        const r = both(shuffled);
        expect(r.fast).toBe(r.zod);
      }
    }
  });
});

/** The reading the consumer had before the fast validator: JSON.parse, then zod (the reference). */
function referenceParse(message: Pick<KafkaMessage, 'key' | 'value'>) {
  if (message.value === null || message.value.length === 0)
    return { ok: false, reason: 'empty message value' };
  const text = message.value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  const parsed = priceTickSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `not a price tick: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const tick = parsed.data;
  const ms = Date.parse(tick.minute);
  if (!isWholeMinute(ms)) return { ok: false, reason: `minute ${tick.minute} is not a whole minute` };
  const key = message.key?.toString('utf8');
  if (key !== undefined && key !== tick.stockId) {
    return {
      ok: false,
      reason: `message key ${JSON.stringify(key)} is not the tick's stockId ${tick.stockId}`,
    };
  }
  const minute = new Date(ms).toISOString();
  if (minute === tick.minute && Object.keys(json as object).length === FIELDS.length) {
    return { ok: true, tick, json: text };
  }
  const normalised = { ...tick, minute };
  return { ok: true, tick: normalised, json: JSON.stringify(normalised) };
}

describe('parseTickMessage: the same result and reason as the zod-only reading', () => {
  const texts: string[] = [
    JSON.stringify(good),
    JSON.stringify(Object.fromEntries(Object.entries(good).reverse())),
    JSON.stringify({ ...good, minute: '2025-10-08T05:30:00Z' }),
    JSON.stringify({ ...good, minute: '2025-10-08T05:30:00.000000Z' }),
    JSON.stringify({ ...good, minute: '2025-10-08T05:30:00.0009Z' }),
    JSON.stringify({ ...good, minute: '2025-10-08T05:30:01.000Z' }),
    JSON.stringify({ ...good, minute: '2025-10-08T05:30:00.001Z' }),
    JSON.stringify({ ...good, note: 'extra' }),
    JSON.stringify(good, null, 2),
    JSON.stringify({ ...good, price: 0 }),
    JSON.stringify({ ...good, source: 'live' }),
    JSON.stringify(without('fetchedAt')),
    JSON.stringify({ ...good, stockId: '4489148202686783' }),
    JSON.stringify([good]),
    'null',
    '42',
    '"tick"',
    '{"stockId":',
    '{"price":1e400}',
    JSON.stringify(good).replace('"price":20970', '"price":1e400'),
    JSON.stringify(good).replace('"price":20970', '"price":20970.0'),
    JSON.stringify(good).replace('"price":20970', '"price":2.097e4'),
    JSON.stringify(good).replace('"source":"simulated"', '"source":"simul\\u0061ted"'),
    `\uFEFF${JSON.stringify(good)}`,
    `{"__proto__":{"stockId":"1"},${JSON.stringify(good).slice(1)}`,
    '',
  ];
  const keys: (string | null)[] = [null, good.stockId, '4489148202686783', '', '44891482026867833 '];
  const cases = texts.flatMap((t) => keys.map((k) => ({ text: t, key: k })));

  it.each(cases.map((c) => [JSON.stringify(c.key), c.text.slice(0, 60), c] as const))(
    'key %s, value %s',
    (_k, _t, c) => {
      const message = { key: c.key === null ? null : Buffer.from(c.key), value: Buffer.from(c.text) };
      expect(parseTickMessage(message)).toEqual(referenceParse(message));
    },
  );

  it('a null value', () => {
    const message = { key: null, value: null };
    expect(parseTickMessage(message)).toEqual(referenceParse(message));
  });
});

describe('lastParsed: Date.parse remembering its last text', () => {
  it('answers what Date.parse answers, for repeated, alternating and invalid texts', () => {
    const minuteMs = lastParsed();
    const texts = [
      '2026-12-01T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
      '2026-12-01T09:01:00.000Z',
      '2026-12-01T09:00:00.000Z',
      'not a date',
      'not a date',
      '2026-12-01T12:30:00+03:30',
    ];
    expect(texts.map(minuteMs)).toEqual(texts.map((t) => Date.parse(t)));
  });

  it('each holder remembers its own text', () => {
    const [a, b] = [lastParsed(), lastParsed()];
    expect(a('2026-12-01T09:00:00.000Z')).toBe(Date.UTC(2026, 11, 1, 9));
    expect(b('2026-12-01T10:00:00.000Z')).toBe(Date.UTC(2026, 11, 1, 10));
    expect(a('2026-12-01T09:00:00.000Z')).toBe(Date.UTC(2026, 11, 1, 9));
  });
});
