// Countdowns by the *server's* clock (deadlines are enforced there, not on a viewer's possibly
// wrong PC clock), for the hall and the custodian pages. The bidder workspace words its own
// countdowns from its string table (ui.js).

const pad = (n) => String(n).padStart(2, "0");

/** Milliseconds to add to Date.now() for the server's time, measured once from its ISO time. */
export function skewFrom(serverIso) {
  const at = Date.parse(serverIso || "");
  return Number.isNaN(at) ? 0 : at - Date.now();
}

/** "[N天 ]HH:MM:SS" left, or `due` once the moment has passed. */
export function formatLeft(ms, { due, lang }) {
  if (ms <= 0) return due;
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86400);
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days ? `${days}${lang === "en" ? "d" : "天"} ${hms}` : hms;
}

/** Show the time left until each element's data-deadline, refreshed once a second. */
export function startCountdowns(elements, { skew, due, lang }) {
  const els = [...elements];
  const tick = () => {
    for (const el of els) el.textContent = formatLeft(Date.parse(el.dataset.deadline) - (Date.now() + skew), { due, lang });
  };
  tick();
  return setInterval(tick, 1000);
}
