// Which Temporal errors the API answers 500 (a bug or misconfiguration) and which 503 (retry later):
// an HA chaos run answered 36 orders `500 Internal error` with a FAILED_PRECONDITION that heals itself.
import { isPermanentRpcError } from '../../lib/orders/temporal-call';

const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });

test('an update refused while the workflow task has failed is passing, also when wrapped', () => {
  const failedTask = grpc(
    9,
    '9 FAILED_PRECONDITION: Update-with-Start could not be executed. Unable to perform workflow execution update due to Workflow Task in failed state.',
  );
  expect(isPermanentRpcError(failedTask)).toBe(false);
  expect(isPermanentRpcError(new Error('Update-with-Start failed', { cause: failedTask }))).toBe(false);
  expect(isPermanentRpcError(grpc(9, '9 FAILED_PRECONDITION: Workflow is closing.'))).toBe(false);
  // A cancel's update whose workflow task failed under it (HA chaos run, a worker killed meanwhile).
  const cancelUpdate = grpc(
    9,
    '9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.',
  );
  expect(isPermanentRpcError(new Error('Workflow Update failed', { cause: cancelUpdate }))).toBe(false);
});

test('other FAILED_PRECONDITIONs and wrong requests stay permanent; outages are passing', () => {
  expect(isPermanentRpcError(grpc(9, '9 FAILED_PRECONDITION: Client version 0.1 is not supported'))).toBe(
    true,
  );
  expect(isPermanentRpcError(grpc(3, '3 INVALID_ARGUMENT: search attribute OrderUser is not defined'))).toBe(
    true,
  );
  expect(isPermanentRpcError(grpc(14, '14 UNAVAILABLE: connection refused'))).toBe(false);
  expect(isPermanentRpcError(grpc(4, '4 DEADLINE_EXCEEDED'))).toBe(false);
  expect(isPermanentRpcError(new Error('no answer within 5000 ms'))).toBe(false);
});

test('the reason may be on the wrapper while the code is on its cause', () => {
  const wrapped = new Error('Workflow Task in failed state', {
    cause: grpc(9, '9 FAILED_PRECONDITION: Update-with-Start could not be executed.'),
  });
  expect(isPermanentRpcError(wrapped)).toBe(false);
});
