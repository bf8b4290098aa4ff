// The benchmark's baseline for POST /orders: the same validation, the same user/price reads and the
// same credit reservation (the real reserveCredit and its Lua script from activities/orders.ts), done
// by a bare Koa handler on Redis with no Temporal. Run by `npm run bench` as its own process, on
// API_PORT, so it pays for its own HTTP like the real API does. Not part of the product.
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { createOrderActivities } from '../../activities/orders';
import type { Verifier } from '../../activities/verifier';
import { parse } from '../../api/validate';
import { orderRequestSchema } from '../../lib/contracts/http/orders';
import { parseJsonLossless } from '../../lib/contracts/json';
import { userKey } from '../../lib/store/keys';
import { readLatestTick } from '../../lib/store/price-history';
import { runProcess } from '../../lib/infra/process';
import { createRedis } from '../../lib/infra/redis';
import { runCommand, type CommandSpec } from '../cli';

export const command = {
  usage: 'node --import tsx scripts/bench/baseline-api.ts',
  summary: "the bench's baseline POST /orders (validation and credit reservation, no Temporal) on API_PORT",
  options: {},
} as const satisfies CommandSpec;

const start = () =>
  runProcess('bench-baseline-api', async (cfg, log) => {
    const redis = createRedis(cfg);
    await redis.ping();
    const unused = () => {
      throw new Error('not used by the baseline');
    };
    // The activities are closures (createOrderActivities), not methods: taking one out is safe.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const { reserveCredit } = createOrderActivities({
      redis,
      sender: { send: unused, close: unused },
      verifier: { kind: 'simulated', verify: unused } as unknown as Verifier,
      log,
    });
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.method !== 'POST' || ctx.path !== '/orders') {
        ctx.status = 404;
        ctx.body = { error: 'not_found' };
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
      const body = parse(
        orderRequestSchema,
        parseJsonLossless(Buffer.concat(chunks).toString('utf8')),
        'body',
      );
      const req = { user: body.user, stockId: body.stockid, quantity: body.quantity };
      const [exists, tick] = await Promise.all([
        redis.exists(userKey(req.user)),
        readLatestTick(redis, req.stockId),
      ]);
      if (!exists || !tick) {
        ctx.status = 422;
        ctx.body = { error: exists ? 'no_price' : 'unknown_user' };
        return;
      }
      const orderId = randomUUID();
      const credit = await reserveCredit({ orderId, ...req });
      ctx.status = 201;
      ctx.body = { orderId, status: credit.outcome, ...credit };
    });
    const server = app.listen(cfg.API_PORT, cfg.API_HOST);
    return async () => {
      server.close();
      redis.disconnect();
    };
  });

if (require.main === module) runCommand(command, async () => start());
