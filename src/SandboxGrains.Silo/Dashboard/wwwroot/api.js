// Calls to the silo with the API key. The key lives only in this tab's sessionStorage: not in a cookie (a cookie would
// ride along with requests a preview app on this origin makes), not in localStorage (it would outlive the tab and
// reach every tab), never in a URL (URLs end up in histories and logs).

const keyName = "sandboxgrains.apiKey";

export const key = {
  get: () => sessionStorage.getItem(keyName),
  set: (value) => sessionStorage.setItem(keyName, value),
  clear: () => sessionStorage.removeItem(keyName),
};

/** An answer that was not a success, with the status and the problem's code for callers that tell cases apart. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called when the key stops working (revoked, silo reconfigured): the app signs out and says why. */
let onRefused = () => {};
export function whenKeyRefused(handler) {
  onRefused = handler;
}

/** Sends a request with the key; answers the parsed JSON (null when there is none) or throws an ApiError in words. */
export async function call(method, path, body, { apiKey = key.get(), signal } = {}) {
  const headers = { Authorization: `Bearer ${apiKey}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: "no-store" });
  } catch (error) {
    if (error.name === "AbortError" || error.name === "TimeoutError") throw error;
    throw new ApiError(`Could not reach the silo (${error.message}). Is it running?`, 0);
  }
  if (!response.ok) throw await failure(response, apiKey);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** The ApiError for an answer that was not a success; a refused key also signs the tab out. */
export async function failure(response, apiKey = key.get()) {
  let body = null;
  try {
    body = JSON.parse(await response.text());
  } catch {
    // Not JSON (a proxy's error page, say): the status line speaks for it.
  }
  const error = new ApiError(describe(response, body), response.status, body?.code);
  if (response.status === 401 && apiKey === key.get()) onRefused(error);
  return error;
}

/** Problem JSON (title, detail, code, field) or a daemon error (message, code) in one readable sentence. */
function describe(response, body) {
  if (response.status === 401) return "That API key was refused.";
  const what = body?.detail || body?.message || body?.title || response.statusText || "no explanation given";
  const title = body?.title && body?.detail ? `${body.title}: ` : "";
  const field = body?.field ? ` (field ${body.field})` : "";
  const code = body?.code ? ` [${body.code}]` : "";
  return `${title}${what}${field} — HTTP ${response.status}${code}`;
}

export const executeSeconds = 30;

export const api = {
  runners: (options) => call("GET", "/api/v1/runners", undefined, options),
  sandbox: (id) => call("GET", `/api/v1/sandboxes/${encodeURIComponent(id)}`),
  create: (body) => call("POST", "/api/v1/sandboxes?wait=false", body),
  stop: (id) => call("POST", `/api/v1/sandboxes/${encodeURIComponent(id)}/stop`),
  start: (id) => call("POST", `/api/v1/sandboxes/${encodeURIComponent(id)}/start`),
  remove: (id) => call("DELETE", `/api/v1/sandboxes/${encodeURIComponent(id)}`),
  previews: (id) => call("GET", `/api/v1/sandboxes/${encodeURIComponent(id)}/previews`),
  createPreview: (id, port) => call("POST", `/api/v1/sandboxes/${encodeURIComponent(id)}/previews`, { port }),
  revokePreview: (id, previewId) =>
    call("DELETE", `/api/v1/sandboxes/${encodeURIComponent(id)}/previews/${encodeURIComponent(previewId)}`),
  // The toolbox is the sandbox daemon's own API (docs/daemon.md), reached through the silo with the same key.
  entrypointLogs: (id) => call("GET", `/toolbox/${encodeURIComponent(id)}/process/session/entrypoint/logs`),

  /**
   * Runs a command and answers {exitCode, result}. The time limit is kept here, not with the daemon's own `timeout`:
   * the daemon answers a timeout with 408, and Chromium sends a request again when a 408 comes on a reused
   * connection, which would run the command twice. Hanging up ends it the same way (the daemon kills the command
   * of a caller that went away).
   */
  async execute(id, command) {
    try {
      return await call("POST", `/toolbox/${encodeURIComponent(id)}/process/execute`, { command },
        { signal: AbortSignal.timeout(executeSeconds * 1000) });
    } catch (error) {
      if (error.name !== "TimeoutError") throw error;
      throw new ApiError(`The command had not finished after ${executeSeconds} s, so it was stopped.`, 0);
    }
  },

  /** Every sandbox, page by page (the API answers at most 500 at a time). */
  async sandboxes() {
    const items = [];
    let cursor = null;
    do {
      const query = new URLSearchParams({ limit: "500" });
      if (cursor) query.set("cursor", cursor);
      const page = await call("GET", `/api/v1/sandboxes?${query}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  },
};
