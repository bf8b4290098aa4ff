// Expected conditions are not errors: KafkaJS logs every broker error answer at `error`, also those it
// handles itself. A clean HA start logged "Topic creation errors" at error five times (topics that
// already existed).
import { PASSING_BROKER_ANSWERS, kafkaLogLevel } from '../../lib/infra/kafka';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- KafkaJS's error table is not in its types
const { errorCodes } = require('kafkajs/src/protocol/error') as {
  errorCodes: { type: string; message: string }[];
};

test("the passing answers are KafkaJS's own messages", () => {
  for (const [type, message] of Object.entries(PASSING_BROKER_ANSWERS)) {
    expect([type, errorCodes.find((e) => e.type === type)?.message]).toEqual([type, message]);
  }
});

test('a topic found existing, a rebalance, a retried send are not errors', () => {
  expect(
    kafkaLogLevel('error', 'Response CreateTopics(key: 19, version: 3)', { error: 'Topic creation errors' }),
  ).toBe('info');
  expect(
    kafkaLogLevel('error', 'Response JoinGroup(key: 11, version: 5)', {
      error: 'The group is rebalancing, so a rejoin is needed',
    }),
  ).toBe('warn');
  expect(
    kafkaLogLevel('error', 'Response Produce(key: 0, version: 7)', {
      error: 'This server is not the leader for that topic-partition',
    }),
  ).toBe('warn');
  // createTopics waits for the new topics' leaders: a broker that has not heard of them yet says so.
  expect(
    kafkaLogLevel('error', 'Response Metadata(key: 3, version: 6)', {
      error: 'This server does not host this topic-partition',
    }),
  ).toBe('warn');
  expect(
    kafkaLogLevel(
      'error',
      'Failed to send messages: This server is not the leader for that topic-partition',
      {
        retryCount: 1,
        retryTime: 412,
      },
    ),
  ).toBe('warn');
});

test("a consumer's crash is said by batch-consumer.ts, which knows whether KafkaJS restarts it", () => {
  // A fresh HA start: the group's coordinator was still loading the offsets topic.
  expect(
    kafkaLogLevel(
      'error',
      "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
      { groupId: 'bourse-price-consumer' },
    ),
  ).toBe('warn');
});

test('what an operator must act on stays an error; other levels pass as they are', () => {
  expect(
    kafkaLogLevel('error', 'Response Produce(key: 0, version: 7)', {
      error: 'The request included a message larger than the max message size the server will accept',
    }),
  ).toBe('error');
  expect(kafkaLogLevel('warn', 'Could not create topics', {})).toBe('warn');
});
