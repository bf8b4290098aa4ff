// The metric names a PromQL expression reads: what the "every expression names a real series" check
// compares with a live scrape. A small lexer, not a parser: strings, label matchers, ranges and
// grouping clauses are dropped; what is left that is neither a function, a keyword nor a number is a
// metric name.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries ([5m], [$__rate_interval], [1h:1m])
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/\$\w+/g, ' '); // dashboard variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name.toLowerCase())) continue;
    // Exponent of a number (1e3) or a duration unit glued to a number are not names.
    const before = stripped[m.index - 1];
    if (before && /[0-9.]/.test(before)) continue;
    names.add(name);
  }
  return [...names];
}
