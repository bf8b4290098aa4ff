// Every workflow the worker serves; one file per workflow.
export { buyOrder } from './buy-order';
export { priceBackfill } from './price-backfill';
export { priceFetch } from './price-fetch';
