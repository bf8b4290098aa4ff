// The OpenAPI document describes the release package.json names (it once said 0.2.0 of a 0.1.0 package).
import { openApiJson } from '../../api/openapi';
import { version } from '../../package.json';

test("the OpenAPI document's info.version is package.json's version", () => {
  const doc = JSON.parse(openApiJson) as { info: { version: string } };
  expect(doc.info.version).toBe(version);
});
