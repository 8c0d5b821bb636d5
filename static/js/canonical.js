// Canonical JSON, byte for byte as crypto/canonical.py writes it: keys sorted, no
// whitespace, UTF-8 (non-ASCII not escaped), integers only (money is a decimal string).
// Signatures are taken over these bytes, so one stray space would break every signature.

import { utf8 } from "./bytes.js";

// Python sorts str keys by code point; JS's default sort compares UTF-16 code units, which
// differs for characters beyond the BMP. Compare by code point to match.
function byCodePoint(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

function text(value, path) {
  if (typeof value !== "string") throw new TypeError(`${path}: expected a string`);
  if (typeof value.isWellFormed === "function" && !value.isWellFormed()) {
    throw new RangeError(`${path}: string is not valid Unicode`);
  }
  // JSON.stringify escapes exactly what Python's json.dumps(ensure_ascii=False) escapes:
  // the quote, the backslash and C0 controls (\b \f \n \r \t short, others \u00xx lowercase).
  return JSON.stringify(value);
}

function encode(value, path) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return text(value, path);
  if (typeof value === "number") {
    // Floats have no single spelling; the Python side refuses them, so do we.
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`${path}: only integers are allowed (amounts are decimal strings)`);
    }
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${path}[${i}]`)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort(byCodePoint);
    const items = keys
      .filter((k) => value[k] !== undefined)
      .map((k) => `${text(k, path)}:${encode(value[k], `${path}.${k}`)}`);
    return `{${items.join(",")}}`;
  }
  throw new TypeError(`${path}: ${typeof value} is not JSON-serialisable`);
}

/** The canonical JSON bytes of a plain value. */
export function canonicalJson(value) {
  return utf8(encode(value, "$"));
}
