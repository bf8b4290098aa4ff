// The limits scenario's arithmetic (scripts/bench/limit-orders.ts): the spread of limits, the tick
// that crosses half of them, and memory per open order.
import { halfCrossing, perItem, spreadLimits } from '../../scripts/bench/limit-orders';

test('limits spread evenly over [low, high], whole rials, ascending, both ends included', () => {
  expect(spreadLimits(5, 100, 110)).toEqual([100, 102, 105, 107, 110]);
  expect(spreadLimits(1, 100, 110)).toEqual([100]);
  expect(spreadLimits(0, 100, 110)).toEqual([]);
  const many = spreadLimits(5_000, 2_736, 2_807);
  expect(many).toHaveLength(5_000);
  expect([many[0], many[4_999]]).toEqual([2_736, 2_807]);
  expect(many.every((l, i) => Number.isInteger(l) && (i === 0 || l >= many[i - 1]))).toBe(true);
});

test('the half-crossing tick: buys with limit ≥ it are crossed, and it crosses about half', () => {
  expect(halfCrossing([100, 101, 102, 103])).toEqual({ price: 102, crossed: 2 });
  expect(halfCrossing([103, 100, 102, 101, 104])).toEqual({ price: 102, crossed: 3 });
  // Equal limits at the middle all cross: the count is what the tick crosses, not n/2.
  expect(halfCrossing([100, 101, 101, 101, 105])).toEqual({ price: 101, crossed: 4 });
  const many = spreadLimits(5_000, 2_736, 2_807);
  const { price, crossed } = halfCrossing(many);
  expect(crossed).toBe(many.filter((l) => l >= price).length);
  expect(crossed).toBeGreaterThanOrEqual(2_500);
  expect(crossed).toBeLessThan(2_600);
});

test('bytes per item, one decimal; no items is no figure', () => {
  expect(perItem(1_000, 3)).toBe(333.3);
  expect(perItem(0, 0)).toBeNaN();
});
