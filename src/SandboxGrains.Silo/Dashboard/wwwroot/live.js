// The sandboxes as the cluster has them, kept current from the event stream (GET /api/v1/events, docs/api.md "Events").
// EventSource cannot send an Authorization header and the key must not go in a URL, so the stream is read with fetch
// and its Server-Sent Events parsed here.
import { api, failure, key } from "./api.js";

const sandboxes = new Map();
const listeners = new Set();
let status = { connected: false, text: "connecting…" };

/** fn(sandboxes, status) after every change; answers a function that stops the calls. */
export function watch(fn) {
  listeners.add(fn);
  fn(sandboxes, status);
  return () => listeners.delete(fn);
}

function changed() {
  for (const fn of listeners) fn(sandboxes, status);
}

function setStatus(connected, text) {
  status = { connected, text };
  changed();
}

/** Keeps the newer of two records of a sandbox: an event and a list answer may cross on the way. */
export function upsert(sandbox) {
  const known = sandboxes.get(sandbox.id);
  if (!known || Date.parse(sandbox.updatedAt) >= Date.parse(known.updatedAt)) {
    sandboxes.set(sandbox.id, sandbox);
    changed();
  }
}

export function forget(id) {
  if (sandboxes.delete(id)) changed();
}

export const get = (id) => sandboxes.get(id);

// While a list is under way, events are held back and applied on top of it, so nothing that happened during the list
// is lost and nothing older than it wins.
let held = null;
let generation = 0;
export let listError = null;

async function relist() {
  const mine = ++generation;
  held ??= [];
  try {
    const items = await api.sandboxes();
    if (mine !== generation) return;
    sandboxes.clear();
    for (const item of items) sandboxes.set(item.id, item);
    listError = null;
  } catch (error) {
    if (mine !== generation) return;
    listError = error;
  }
  const pending = held;
  held = null;
  pending.forEach(apply);
  changed();
}

function apply(event) {
  if (held) return void held.push(event);
  switch (event.type) {
    case "sandbox.created":
    case "sandbox.state.updated":
      if (event.sandbox) upsert(event.sandbox);
      break;
    case "sandbox.deleted":
      forget(event.sandboxId);
      break;
    case "reset":
      relist();
      break;
    // keepalive and types added later: nothing to do here.
  }
}

let controller = null;

/** Follows the stream (and lists on its reset) until stop(); reconnects after a drop with the last event id (1 s, 2 s… up to 15 s). */
export function start() {
  stop();
  const mine = (controller = new AbortController());
  let lastId = null;
  let delay = 1000;
  (async () => {
    while (!mine.signal.aborted) {
      try {
        setStatus(false, lastId ? "reconnecting…" : "connecting…");
        // The first connection asks to carry on from an id no silo gave out: the stream then opens at once with a
        // reset (list, then carry on), so the list and the stream meet with no event falling in between. (Without an
        // id the silo sends nothing, headers included, until the first event or keep-alive.)
        await follow(lastId ?? "none", mine.signal, (event) => {
          lastId = event.id ?? lastId;
          delay = 1000;
          apply(event);
        }, () => setStatus(true, "live"));
        if (!mine.signal.aborted) setStatus(false, "the event stream ended; reconnecting…");
      } catch (error) {
        if (mine.signal.aborted) return;
        // A refused key signs the tab out (api.js); anything else is worth another try.
        if (error.status === 401) return;
        setStatus(false, `event stream: ${error.message}; retrying…`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  })();
}

export function stop() {
  generation++;
  held = null;
  controller?.abort();
  controller = null;
  sandboxes.clear();
  listError = null;
}

// The silo sends a keepalive after 15 s of silence; a connection quiet for much longer than that is dead.
const silenceLimit = 40000;

async function follow(lastId, signal, onEvent, onOpen) {
  const headers = { Authorization: `Bearer ${key.get()}`, Accept: "text/event-stream", "Last-Event-ID": lastId };
  const local = new AbortController();
  const abort = () => local.abort();
  signal.addEventListener("abort", abort);
  let watchdog = setTimeout(abort, silenceLimit);
  try {
    const response = await fetch("/api/v1/events", { headers, signal: local.signal, cache: "no-store" });
    if (!response.ok) throw await failure(response);
    onOpen();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, silenceLimit);
      buffer += value;
      let end;
      while ((end = buffer.search(/\r\n\r\n|\n\n|\r\r/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 4 : 2));
        const event = parse(block);
        if (event) onEvent(event);
      }
    }
  } catch (error) {
    // The watchdog's abort is a drop to reconnect from, not a stop.
    if (error.name === "AbortError" && !signal.aborted) return;
    throw error;
  } finally {
    clearTimeout(watchdog);
    signal.removeEventListener("abort", abort);
  }
}

/** One SSE block (lines up to a blank line) to the event's JSON, with the SSE id and type when the data lacks them. */
function parse(block) {
  let id = null, type = "message";
  const data = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else if (field === "event") type = value;
  }
  if (!data.length) return null;
  try {
    return { id, type, ...JSON.parse(data.join("\n")) };
  } catch {
    console.warn("event stream: a message that is not JSON was skipped");
    return null;
  }
}
