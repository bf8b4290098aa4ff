// Names both sides of the Temporal wire agree on.
export const TASK_QUEUES = { prices: 'prices', orders: 'orders' } as const;
