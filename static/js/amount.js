// An amount in Chinese capital numerals (人民币大写), as written on a 开标一览表, so the bidder
// reads the price back in words before sealing it: a misplaced digit is caught here, not
// at the opening, where it can no longer be corrected.

const DIGITS = "零壹贰叁肆伍陆柒捌玖";
const UNITS = ["", "拾", "佰", "仟"];
const GROUPS = ["", "万", "亿", "万亿"];

function integerWords(int) {
  if (/^0*$/.test(int)) return "零";
  const digits = int.replace(/^0+/, "");
  if (digits.length > 16) return null;
  const groups = [];
  for (let end = digits.length; end > 0; end -= 4) groups.unshift(digits.slice(Math.max(0, end - 4), end).padStart(4, "0"));
  let out = "";
  let zero = false; // a zero is pending: write 零 before the next non-zero digit
  groups.forEach((group, g) => {
    const unit = GROUPS[groups.length - 1 - g];
    if (group === "0000") {
      zero = out !== "";
      return;
    }
    for (let i = 0; i < 4; i++) {
      const d = Number(group[i]);
      if (d === 0) {
        zero = zero || out !== "";
        continue;
      }
      if (zero) out += "零";
      zero = false;
      out += DIGITS[d] + UNITS[3 - i];
    }
    out += unit;
  });
  return out;
}

/** "9087654.32" → "玖佰零捌万柒仟陆佰伍拾肆元叁角贰分"; null when not a plain amount. */
export function amountInWords(text) {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(text).trim());
  if (!m) return null;
  const int = integerWords(m[1]);
  if (int === null) return null;
  const [jiao = 0, fen = 0] = (m[2] ?? "").padEnd(2, "0").split("").map(Number);
  let out = `${int}元`;
  if (!jiao && !fen) return `${out}整`;
  if (jiao) out += `${DIGITS[jiao]}角`;
  else if (int !== "零") out += "零";
  if (fen) out += `${DIGITS[fen]}分`;
  return out;
}

/** An amount as a BigInt of fen, or null when not a plain amount ("12", "12.3", "12.34"). */
export function toFen(text) {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(text ?? "").trim());
  if (!m) return null;
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? "").padEnd(2, "0"));
}

/**
 * The platform's amount rule (trading.kernel.money.amount, which reads the sealed price at the
 * opening): digits with at most two decimals, greater than zero, at most `maxAmount` — the
 * limit the server renders into the page, so there is one source. Returns
 * { ok: true, fen } or { ok: false, reason: "invalid" | "too_large" }.
 */
export function checkAmount(text, maxAmount) {
  const fen = toFen(text);
  if (fen === null || fen <= 0n) return { ok: false, reason: "invalid" };
  const max = toFen(maxAmount);
  if (max !== null && fen > max) return { ok: false, reason: "too_large" };
  return { ok: true, fen };
}

/** Fen as yuan with thousands separators: 910000000n → "9,100,000.00". */
export function formatFen(fen) {
  const yuan = (fen / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${yuan}.${(fen % 100n).toString().padStart(2, "0")}`;
}
