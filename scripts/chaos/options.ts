// A chaos run's options and its seeded random numbers (the seed fixes every choice of a run).

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  portOffset: number;
  /** New orders per second. */
  rate: number;
  users: number;
  /** How long to wait, after the load stops, for every order to reach its final status. */
  settleMs: number;
  /**
   * Instead of random kinds for durationMs: each kind killed exactly once, in a seeded order, with the
   * load running until the last one is back and at least one minute of the price schedule has run
   * (the short run in npm test: every kind, whatever the speed).
   */
  killEachOnce?: boolean;
  /** The stack's Temporal (TEMPORAL_PERSISTENCE); the environment's when absent. */
  temporal?: 'sqlite' | 'postgres';
  /**
   * The HA layout: three Kafka brokers, two of every app process behind a load balancer; each kill
   * takes one copy of a kind (never two of a kind at once), and kills of different kinds overlap.
   */
  ha?: boolean;
  log: (line: string) => void;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
