// The project form: as a USCC is typed, say which organization it names (the server says it
// too when the form is re-rendered; this only saves a round trip).
const input = document.getElementById("f-tenderer_uscc");
const out = document.getElementById("tenderer-name");

async function lookup() {
  const code = input.value.trim().toUpperCase();
  if (code.length !== 18) {
    out.textContent = "";
    return;
  }
  const url = `${input.dataset.lookup}?q=${encodeURIComponent(code)}&limit=1`;
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const found = (await response.json()).items.find((o) => o.uscc === code);
  out.textContent = found ? out.dataset.prefix + found.name : out.dataset.unknown;
}

if (input && out) input.addEventListener("change", lookup);
