import { metricNamesIn } from '../integration/observability/promql-names';

test('names the series an expression reads, not its functions, labels, ranges or keywords', () => {
  expect(
    metricNamesIn(
      'histogram_quantile(0.95, sum by (le, outcome) (rate(bourse_order_lead_time_seconds_bucket{job="x"}[5m])))',
    ),
  ).toEqual(['bourse_order_lead_time_seconds_bucket']);
  expect(
    metricNamesIn(
      '(time() - max(bourse_price_last_stored_timestamp_seconds) > 120) and on () max(bourse_market_open) == 1',
    ).sort(),
  ).toEqual(['bourse_market_open', 'bourse_price_last_stored_timestamp_seconds']);
  expect(metricNamesIn('sum(rate(a_total[$__rate_interval])) / sum(b:c:rate5m) > 1e3')).toEqual([
    'a_total',
    'b:c:rate5m',
  ]);
  expect(metricNamesIn('up{job=~"bourse-.*"} == 0')).toEqual(['up']);
});
