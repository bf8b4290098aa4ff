// Every workflow the worker serves; one file per workflow.
export { priceFetch } from './price-fetch';
