// The runners: each Docker engine's capacity, what its sandboxes take of it, and whether it is healthy.
import { api } from "./api.js";
import { errorBox, h, time } from "./dom.js";

// Runners send heartbeats every few seconds; a slow poll keeps the page honest without an event per heartbeat.
const pollMs = 10000;

/** #/runners */
export function runnersPage(view) {
  const list = h("div.runners", {}, h("p.muted", {}, "Loading…"));
  const errors = h("div");
  const refreshButton = h("button.small", { type: "button" }, "Refresh");
  view.replaceChildren(h("div.heading", {}, h("h1", {}, "Runners"), refreshButton), errors, list);

  const refresh = async () => {
    try {
      const { items } = await api.runners();
      errors.replaceChildren();
      list.replaceChildren(...(items.length ? items.map(runnerCard) : [h("p.muted", {}, "No runners have joined the cluster.")]));
    } catch (error) {
      errors.replaceChildren(errorBox(`Could not list the runners: ${error.message}`));
    }
  };
  refreshButton.addEventListener("click", refresh);
  refresh();
  const timer = setInterval(refresh, pollMs);
  return () => clearInterval(timer);
}

function runnerCard(r) {
  return h("section.card.runner", { "data-id": r.id },
    h("div.heading", {}, h("h2", {}, r.id), h(`span.pill.runner-${r.status}`, {}, r.status)),
    r.statusReason ? h("p.error", {}, r.statusReason) : null,
    bar("CPU", r.allocated.cpu, r.capacity.cpu, (v) => `${round(v)} cores`),
    bar("Memory", r.allocated.memoryMb, r.capacity.memoryMb, (v) => `${(v / 1024).toFixed(1)} GiB`),
    bar("Sandboxes", r.allocated.sandboxes, r.capacity.sandboxes, String),
    h("dl.fields", {},
      h("dt", {}, "Sandboxes on it"), h("dd", {}, String(r.sandboxCount)),
      h("dt", {}, "Silo"), h("dd", {}, r.silo ?? "—"),
      h("dt", {}, "Docker"), h("dd", {}, r.dockerVersion ?? "—"),
      h("dt", {}, "Endpoint"), h("dd", {}, r.endpoint ?? "—"),
      h("dt", {}, "Last heartbeat"), h("dd", {}, time(r.lastHeartbeat))));
}

const round = (v) => Math.round(v * 100) / 100;

/** Allocation against capacity; a <meter> turns amber past 80 % and red at 95 % without any style from script. */
function bar(name, used, capacity, format) {
  const max = Math.max(capacity, 0.0001);
  return h("div.bar", {},
    h("span.bar-name", {}, name),
    h("meter", { min: 0, max, value: Math.min(used, max), low: max * 0.8, high: max * 0.95, optimum: 0, "aria-label": name }),
    h("span.bar-figures", {}, `${format(used)} of ${format(capacity)} (${Math.round((used / max) * 100)} %)`));
}
