// The sandboxes list, live from the event stream (live.js).
import { ago, errorBox, h, labelChips, pill, time } from "./dom.js";
import * as live from "./live.js";

/** #/sandboxes: one row per sandbox, newest first; a row's state changes in place as events arrive. */
export function listPage(view, { highlight } = {}) {
  const rows = new Map();
  const body = h("tbody");
  const empty = h("p.muted", { hidden: true }, "No sandboxes yet. ", h("a", { href: "#/create" }, "Create one."));
  const problem = h("div");
  view.replaceChildren(
    h("div.heading", {}, h("h1", {}, "Sandboxes"), h("a.button", { href: "#/create" }, "New sandbox")),
    problem,
    h("div.table-wrap", {}, h("table.sandboxes", {},
      h("thead", {}, h("tr", {}, ["Name", "State", "Labels", "Runner", "Age", "Last activity"].map((c) => h("th", {}, c)))),
      body)),
    empty);

  let latest = new Map();
  const render = (sandboxes) => {
    latest = sandboxes;
    problem.replaceChildren(...(live.listError ? [errorBox(`Could not list the sandboxes: ${live.listError.message}`)] : []));
    // Warm pools' spare sandboxes are not anyone's yet; the list API leaves them out too.
    const shown = [...sandboxes.values()].filter((s) => s.state !== "pooled")
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    for (const id of rows.keys()) if (!sandboxes.has(id)) rows.delete(id);
    body.replaceChildren(...shown.map((s) => {
      let row = rows.get(s.id);
      if (!row || row.sandbox !== s) {
        row = { sandbox: s, element: sandboxRow(s, s.id === highlight) };
        rows.set(s.id, row);
      }
      return row.element;
    }));
    empty.hidden = shown.length > 0 || !!live.listError;
  };
  const unwatch = live.watch(render);
  // Ages move on without events; redraw them now and then rather than on every event.
  const ticker = setInterval(() => {
    rows.clear();
    render(latest);
  }, 30000);
  return () => {
    unwatch();
    clearInterval(ticker);
  };
}

function sandboxRow(s, isNew) {
  const link = `#/sandboxes/${encodeURIComponent(s.id)}`;
  return h(`tr${isNew ? ".new" : ""}`, { "data-id": s.id },
    h("td", { "data-label": "Name" }, h("div", {}, h("a.name", { href: link }, s.name || s.id), h("div.id", {}, s.id))),
    h("td", { "data-label": "State" }, pill(s.state)),
    h("td", { "data-label": "Labels" }, labelChips(s.labels)),
    h("td", { "data-label": "Runner" }, s.runnerId ?? "—"),
    h("td", { "data-label": "Age", title: new Date(s.createdAt).toLocaleString() }, ago(s.createdAt).replace(" ago", "")),
    h("td", { "data-label": "Last activity" }, time(s.lastActivityAt)));
}
