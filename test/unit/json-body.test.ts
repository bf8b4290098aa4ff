// The lossless JSON reader: strict RFC 8259, numbers kept as written.
import { DuplicateKeyError, JsonNumber, JsonSyntaxError, parseJsonLossless } from '../../api/json-body';
import { validateOrderRequest } from '../../api/routes/orders';

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

test('an order request keeps the stock id a string either way', () => {
  for (const stock of ['44891482026867833', '"44891482026867833"']) {
    expect(
      validateOrderRequest(parseJsonLossless(`{"user":"user2","stockid":${stock},"quantity":100}`)),
    ).toEqual({
      user: 'user2',
      stockId: '44891482026867833',
      quantity: 100,
    });
  }
});
