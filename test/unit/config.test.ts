import { ConfigError, loadConfig } from '../../lib/infra/config';
import { loadStackConfig } from '../../scripts/stack/stack-config';

describe('lib/config', () => {
  it('has local defaults for everything', () => {
    const cfg = loadConfig({});
    expect(cfg.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(cfg.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(cfg.API_PORT).toBe(3000);
    expect(cfg.PRICE_SOURCE).toBe('simulated');
    expect(cfg.STOCKS).toContain('44891482026867833');
    expect(cfg.PRICE_CATCHUP_WINDOW).toBe(86_400_000);
    expect(cfg.VERIFY_TIMEOUT).toBe(60_000);
  });

  it("keeps the tools' settings out of the service's, and gives the tools both", () => {
    expect(loadConfig({})).not.toHaveProperty('STACK_DIR');
    expect(loadConfig({})).not.toHaveProperty('TEST_STACK_PORT_OFFSET');
    const stack = loadStackConfig({ TEST_STACK_PORT_OFFSET: '4000' });
    expect([stack.STACK_DIR, stack.TEST_STACK_PORT_OFFSET, stack.API_PORT]).toEqual([
      '.stack/local',
      4000,
      3000,
    ]);
    expect([stack.temporalPort, stack.kafkaPort, stack.redisPort]).toEqual([7233, 9092, 6379]);
    expect(() => loadStackConfig({ PROMETHEUS_PORT: 'ninety' })).toThrow(
      /^Invalid configuration: PROMETHEUS_PORT /,
    );
  });

  it.each([
    ['API_PORT', 'eighty'],
    ['API_PORT', '70000'],
    ['KAFKA_BROKERS', 'localhost'],
    ['REDIS_URL', 'http://x'],
    ['PRICE_SOURCE', 'yahoo'],
    ['STOCKS', '123'],
    ['PRICE_CATCHUP_WINDOW', '1 day'],
    ['MARKET_DAYS', 'sat,funday'],
    ['MARKET_OPEN', '9am'],
  ])('a bad %s = %j stops with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('checks settings against each other', () => {
    expect(() => loadConfig({ VERIFY_DELAY_MIN: '10s', VERIFY_DELAY_MAX: '5s' })).toThrow(/VERIFY_DELAY_MIN/);
  });

  it('reads 17-digit stock ids as strings, exactly', () => {
    expect(loadConfig({ STOCKS: '44891482026867833, 778253364357513' }).STOCKS).toEqual([
      '44891482026867833',
      '778253364357513',
    ]);
  });
});
