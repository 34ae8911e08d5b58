// JSON read and written with every number as it was written. The server
// keeps a preference's value digit for digit, but JSON.parse (openapi-fetch's
// default) rounds a number to a 64-bit float: 12345678901234567890 becomes
// 12345678901234567000, and a page that shows and saves back what it parsed
// changes the user's data. lossless-json keeps such a number as its text.
import { LosslessNumber, parse, stringify } from "lossless-json";

/**
 * exactNumber is a plain number when it writes back as the same text, else
 * the text itself: 1 and 2.5 stay numbers; 12345678901234567890, 1.0, 1e2
 * and -0 are kept as written.
 */
function exactNumber(text: string): number | LosslessNumber {
  const n = Number(text);
  return String(n) === text ? n : new LosslessNumber(text);
}

/**
 * parseExact reads JSON text, keeping every number's digits (see
 * exactNumber); a repeated key keeps its last value, as with JSON.parse.
 * Throws a SyntaxError when text is not JSON.
 */
export function parseExact(text: string): unknown {
  return parse(text, null, { parseNumber: exactNumber, onDuplicateKey: ({ newValue }) => newValue });
}

/** stringifyExact writes a value read by parseExact as compact JSON, each number as it was written. */
export function stringifyExact(value: unknown): string {
  return stringify(value) ?? "null";
}
