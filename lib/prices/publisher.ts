// Publishing price ticks to Kafka `stock-prices` (key = stock id) through the process's one sender.
import { TOPICS } from '../infra/kafka';
import type { KafkaSender } from '../infra/kafka-sender';
import type { PriceTick } from '../contracts/price-tick';

export interface PricePublisher {
  /** Resolves once every tick is acknowledged (at least once: a retry may write a tick twice; the consumer stores one per stock and minute). */
  publish(ticks: readonly PriceTick[]): Promise<void>;
}

export function createPricePublisher(sender: KafkaSender, topic: string = TOPICS.prices): PricePublisher {
  return {
    publish: (ticks) =>
      sender.send(
        topic,
        ticks.map((t) => ({ key: t.stockId, value: JSON.stringify(t), headers: { source: t.source } })),
      ),
  };
}
