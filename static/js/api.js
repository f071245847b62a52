// api.js — the only module that talks HTTP. Every call resolves (never throws) to
// {ok, status, data, error, retryAfter}; status 0 means the network failed.

export async function send(method, url, body) {
  const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, opts);
  } catch {
    return { ok: false, status: 0, data: null,
             error: { code: "network", message: "Can't reach Ripple right now." } };
  }
  let data = null;
  try { data = resp.status === 204 ? null : await resp.json(); } catch { data = null; }
  const error = resp.ok ? null
    : (data && data.error) || { code: `http_${resp.status}`, message: resp.statusText || "Request failed" };
  return { ok: resp.ok, status: resp.status, data, error, retryAfter: resp.headers.get("Retry-After") };
}

export const getJSON = (url) => send("GET", url);
export const postJSON = (url, body) => send("POST", url, body);

export function sendCommand({ command_id, type, payload }) {
  return postJSON("/api/commands", { command_id, type, payload });
}

export const commandStatus = (id) => getJSON(`/api/commands/${encodeURIComponent(id)}`);
