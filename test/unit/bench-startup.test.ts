// The startup scenario's arithmetic (scripts/bench/startup.ts): each way's figures from its starts,
// and the image's medians over npm start's.
import { startupReport, startupRows, type StartSample } from '../../scripts/bench/startup';

const s = (readyMs: number, cpuMs: number, peakRssMiB: number): StartSample => ({
  readyMs,
  cpuMs,
  peakRssMiB,
});

test("each way's medians from its own starts, and the image over npm start as ratios of medians", () => {
  const r = startupReport({
    worker: {
      'npm start (tsx)': [s(9_000, 12_000, 400), s(8_000, 11_000, 380), s(10_000, 13_000, 420)],
      'image (node dist/)': [s(2_000, 1_500, 200), s(3_000, 1_800, 190), s(2_500, 1_650, 210)],
    },
  });
  const tsx = r.byKind.worker['npm start (tsx)'];
  const image = r.byKind.worker['image (node dist/)'];
  expect([tsx.readyMs.p50, tsx.cpuMs.p50, tsx.peakRssMiB.p50, tsx.readyMs.n]).toEqual([
    9_000, 12_000, 400, 3,
  ]);
  expect([image.readyMs.p50, image.cpuMs.p50, image.peakRssMiB.p50, image.readyMs.max]).toEqual([
    2_500, 1_650, 200, 3_000,
  ]);
  expect(r.imageOverTsx.worker).toEqual({ readyMs: 0.28, cpuMs: 0.14, peakRssMiB: 0.5 });
});

test('the table: a row per kind and way, then the ratio row', () => {
  const r = startupReport({
    api: { 'npm start (tsx)': [s(1_000, 900, 120)], 'image (node dist/)': [s(500, 450, 90)] },
  });
  const rows = startupRows(r);
  expect(rows.map((row) => row[0])).toEqual([
    'startup: api, npm start (tsx)',
    'startup: api, image (node dist/)',
    'startup: api, the image over npm start (medians)',
  ]);
  expect(rows[2].slice(1)).toEqual(['ready ×0.5', 'CPU ×0.5; peak RSS ×0.75']);
});
