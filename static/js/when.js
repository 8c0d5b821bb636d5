// The one way pages print a time and an amount (trading/kernel/present.py in the browser):
// "YYYY-MM-DD HH:MM:SS" on the center's wall clock, "1,234,567.89" yuan.

/** An ISO time as "YYYY-MM-DD HH:MM:SS" (or without seconds) in the given IANA zone. */
export function formatTime(iso, zone, { seconds = true } = {}) {
  if (!iso) return "—";
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone || undefined,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const day = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  return seconds ? `${day}:${parts.second}` : day;
}

/** A decimal string as yuan with thousands separators and two decimals, half-up like the
 * server (string arithmetic: no float ever touches an amount). */
export function formatYuan(s) {
  if (s === null || s === undefined || s === "") return "—";
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(String(s).trim());
  if (!m) return String(s);
  let [, sign, whole, frac = ""] = m;
  frac = frac.padEnd(3, "0");
  let cents = BigInt(whole + frac.slice(0, 2));
  if (Number(frac[2]) >= 5) cents += 1n;
  const text = cents.toString().padStart(3, "0");
  const int = text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${int}.${text.slice(-2)}`;
}
