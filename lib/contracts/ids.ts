// The identifiers that cross bourse's wires, each defined once: the HTTP API, the Kafka messages, the
// configuration and the Redis keys all take their rule from here.

/** TSE instrument codes: 15–17 digits, beyond JavaScript's safe integers, so always handled as text. */
export const STOCK_ID = /^\d{15,17}$/;
export const STOCK_ID_RULE = 'a 15–17 digit TSE instrument code';

/** A user id: what a `{user:<id>}` hash tag can hold safely. */
export const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const USER_ID_RULE = '1–64 letters, digits or _ . @ -, starting with a letter or digit';

/** An order id is a UUID; any letter case is read, the lower-case form is the id. */
export const ORDER_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** An Idempotency-Key header value. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE = '1–255 visible ASCII characters';

/** Every key is `bourse_` + 43 base64url characters (256 random bits): easy for secret scanners. */
export const API_KEY_PATTERN = /^bourse_[A-Za-z0-9_-]{43}$/;
/** The same shape anywhere in a text, for redaction. */
export const API_KEY_ANYWHERE = /bourse_[A-Za-z0-9_-]{43}/g;
