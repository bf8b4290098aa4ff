// The lossless JSON reader: strict RFC 8259, numbers kept as written.
import { parse } from '../../api/validate';
import { orderRequestSchema } from '../../lib/contracts/http/orders';
import {
  DuplicateKeyError,
  exactInteger,
  JsonNumber,
  JsonSyntaxError,
  parseJsonLossless,
} from '../../lib/contracts/json';

test('keeps a 17-digit number exactly as written', () => {
  const v = parseJsonLossless('{"stockid": 44891482026867833}') as { stockid: JsonNumber };
  expect(v.stockid).toBeInstanceOf(JsonNumber);
  expect(v.stockid.raw).toBe('44891482026867833');
  expect(String(JSON.parse('44891482026867833'))).toBe('44891482026867830'); // why this exists
});

test('parses what JSON.parse parses, the same way (numbers aside)', () => {
  const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n\\"y"],"b":{},"c":[]}';
  const v = parseJsonLossless(text) as Record<string, unknown>;
  expect((v.a as unknown[]).map((x) => (x instanceof JsonNumber ? x.raw : x))).toEqual([
    '1',
    '-2.5e3',
    true,
    false,
    null,
    'xé\n"y',
  ]);
  expect({ ...(v.b as object) }).toEqual({});
  expect(v.c).toEqual([]);
});

test.each([
  '',
  '{',
  '{"a":}',
  '{"a":1,}',
  '[1,]',
  '01',
  '1.',
  '-',
  '"\t"',
  "{'a':1}",
  'tru',
  '{"a":1} 2',
  'NaN',
])('refuses %j', (text) => {
  expect(() => parseJsonLossless(text)).toThrow(JsonSyntaxError);
});

test('refuses a key given twice', () => {
  expect(() => parseJsonLossless('{"q":1,"q":2}')).toThrow(DuplicateKeyError);
});

test('an order request keeps the stock id exact in every form JSON Schema calls an integer', () => {
  for (const stock of ['44891482026867833', '"44891482026867833"', '4.4891482026867833e16']) {
    for (const quantity of ['100', '100.0', '1e2']) {
      const body = parseJsonLossless(`{"user":"user2","stockid":${stock},"quantity":${quantity}}`);
      expect(parse(orderRequestSchema, body, 'body')).toEqual({
        user: 'user2',
        stockid: '44891482026867833',
        quantity: 100,
      });
    }
  }
});

test.each([
  ['1869', '1869'],
  ['1869.0', '1869'],
  ['1.869e3', '1869'],
  ['18690e-1', '1869'],
  ['-0', '0'],
  ['0.000', '0'],
  ['4.4891482026867833e16', '44891482026867833'],
  ['-12e2', '-1200'],
])('exactInteger(%s) = %s', (raw, digits) => {
  expect(exactInteger(raw)).toBe(digits);
});

test.each(['1.5', '1869.01', '1e-1', '4.48914820268678333e16'])('exactInteger(%s) is no integer', (raw) => {
  expect(exactInteger(raw)).toBeUndefined();
});
