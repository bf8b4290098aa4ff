// The one dead-letter series every consumer shares: bourse_dead_letters_total{topic, reason}.
import { Counter, type Registry } from 'prom-client';

/** The counter, each of the consumer's reasons at 0 from the start (so increase() sees the first one). */
export function deadLetterCounter(
  registry: Registry,
  topic: string,
  reasons: readonly string[],
): Counter<'topic' | 'reason'> {
  const counter = new Counter({
    name: 'bourse_dead_letters_total',
    help: 'Messages sent to a dead-letter topic, by source topic and reason',
    labelNames: ['topic', 'reason'],
    registers: [registry],
  });
  for (const reason of reasons) counter.inc({ topic, reason }, 0);
  return counter;
}
