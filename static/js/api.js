// Calls to the platform's JSON API from a signed-in page. The session cookie authenticates;
// every unsafe method must also carry the page's CSRF token (trading/web.py ActorMiddleware).

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.body = body;
  }
}

/** The CSRF token the server rendered into the page (data-csrf on the page root). */
export function csrfToken() {
  return document.querySelector("[data-csrf]")?.dataset.csrf ?? "";
}

async function problem(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall back to the status line
  }
  const detail = body?.detail || body?.title || `${response.status} ${response.statusText}`;
  return new ApiError(response.status, `HTTP ${response.status}: ${detail}`, body);
}

/** fetch() with the CSRF header, JSON in and out; throws ApiError on a non-2xx answer. */
export async function api(method, path, { json, body, headers = {} } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...headers },
  };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrfToken();
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await problem(response);
  return response.status === 204 ? null : response.json();
}
