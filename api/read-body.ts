// Request bodies read by hand: content type, size and syntax each get a precise 4xx, numbers stay exact.
import type Koa from 'koa';
import { badRequest, HttpError } from './errors';
import { DuplicateKeyError, JsonSyntaxError, parseJsonLossless, type JsonValue } from '../lib/contracts/json';

/** Reads and parses a JSON body ourselves: content type, size and syntax each get a precise 4xx. */
export async function readJsonBody(ctx: Koa.Context, limit: number): Promise<JsonValue> {
  if (!ctx.is('application/json')) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Content-Type must be application/json (got ${ctx.get('Content-Type') || 'none'})`,
      'Content-Type',
    );
  }
  const declared = Number(ctx.get('Content-Length') || 0);
  const tooLarge = () =>
    new HttpError(413, 'payload_too_large', `the body must be at most ${limit} bytes`, 'body', {
      Connection: 'close',
    });
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw badRequest('body', 'the body is not valid UTF-8');
  }
  try {
    return parseJsonLossless(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw badRequest('body', `malformed JSON: ${err.message}`);
    if (err instanceof DuplicateKeyError) throw badRequest(err.key, `malformed request: ${err.message}`);
    throw err;
  }
}
