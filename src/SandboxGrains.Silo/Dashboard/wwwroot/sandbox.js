// One sandbox: its record (live), stop/start/delete, preview links, a command box and the entrypoint's log.
import { api, executeSeconds } from "./api.js";
import { busy, errorBox, h, labelChips, pill, time } from "./dom.js";
import * as live from "./live.js";

const logLines = 200;

/** #/sandboxes/{id} */
export function sandboxPage(view, { id }) {
  const title = h("h1");
  const fields = h("dl.fields");
  const errors = h("div");
  const stop = h("button", { type: "button" }, "Stop");
  const start = h("button", { type: "button" }, "Start");
  const remove = h("button.danger", { type: "button" }, "Delete");
  const previews = previewSection(id);
  const logs = logSection(id);
  view.replaceChildren(
    h("p.crumbs", {}, h("a", { href: "#/sandboxes" }, "← Sandboxes")),
    h("div.heading", {}, title, h("div.actions", {}, stop, start, remove)),
    errors,
    h("section.card", {}, fields),
    commandSection(id),
    previews.element,
    logs.element);

  let sandbox = null;
  const syncButtons = () => {
    stop.disabled = sandbox?.state !== "started";
    start.disabled = !["stopped", "archived", "error"].includes(sandbox?.state);
  };
  const show = (s) => {
    // Just started (again): the log from before, or the error saying it was stopped, is out of date.
    if (s.state === "started" && sandbox && sandbox.state !== "started") logs.refresh();
    sandbox = s;
    title.replaceChildren(s.name || s.id, " ", pill(s.state));
    syncButtons();
    const transition = s.lastTransition;
    fields.replaceChildren(...[
      ["Id", s.id],
      ["Image", s.snapshot ? `${s.image} (snapshot ${s.snapshot})` : s.image],
      ["State since", time(s.stateSince)],
      ["Last change", transition ? `${transition.from} → ${transition.to}${transition.reason ? `: ${transition.reason}` : ""}` : "—"],
      ["Error", s.errorReason],
      ["Pull", s.pull ? `${s.pull.layersDone}/${s.pull.layersTotal} layers, ${mib(s.pull.bytesDone)} of ${mib(s.pull.bytesTotal)}` : null],
      ["Runner", s.runnerId ? `${s.runnerId} (${s.runnerStatus ?? "unknown"})` : "—"],
      ["Resources", `${s.cpu} CPU, ${s.memoryMb} MiB`],
      ["Injection", s.injection],
      ["Labels", labelChips(s.labels)],
      ["Created", time(s.createdAt)],
      ["Last activity", time(s.lastActivityAt)],
    ].filter(([, value]) => value !== null && value !== undefined && value !== "")
      .flatMap(([name, value]) => [h("dt", {}, name), h(name === "Error" ? "dd.error" : "dd", {}, value)]));
  };

  const unwatch = live.watch((all) => {
    const current = all.get(id);
    if (current && current !== sandbox) show(current);
    else if (!current && sandbox) {
      // It was here and the list no longer has it: deleted (here or elsewhere).
      title.replaceChildren(sandbox.name || id, " ", pill("deleted"));
      stop.disabled = start.disabled = remove.disabled = true;
      errors.replaceChildren(h("p.notice", {}, "This sandbox has been deleted. ", h("a", { href: "#/sandboxes" }, "Back to the list")));
    }
  });
  api.sandbox(id).then((s) => {
    live.upsert(s);
    if (!sandbox) show(s);
    if (s.state === "started") logs.refresh();
    previews.refresh();
  }, (error) => errors.replaceChildren(errorBox(error)));

  // busy() enables the button again when done; what the state allows decides after that.
  const act = (button, working, action) => busy(button, working, errors, action).then(syncButtons);
  stop.addEventListener("click", () => act(stop, "Stopping…", async () => live.upsert(await api.stop(id))));
  start.addEventListener("click", () => act(start, "Starting…", async () => live.upsert(await api.start(id))));
  remove.addEventListener("click", () => {
    if (!confirm(`Delete sandbox ${sandbox?.name ?? id}? Its container and files go with it.`)) return;
    act(remove, "Deleting…", async () => {
      await api.remove(id);
      live.forget(id);
      location.hash = "#/sandboxes";
    });
  });
  return unwatch;
}

const mib = (bytes) => `${((bytes ?? 0) / 1048576).toFixed(1)} MiB`;

function commandSection(id) {
  const input = h("input#command", { name: "command", placeholder: "ls -la /", autocomplete: "off", required: true, "aria-label": "Command" });
  const run = h("button", { type: "submit" }, "Run");
  const exit = h("p.exit");
  const output = h("pre.output#command-output", { hidden: true });
  const errors = h("div");
  const form = h("form.inline", { method: "post" }, input, run);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(run, "Running…", errors, async () => {
      const answer = await api.execute(id, input.value);
      exit.replaceChildren(h(`span.${answer.exitCode === 0 ? "ok" : "bad"}#exit-code`, {}, `exit code ${answer.exitCode}`));
      output.textContent = answer.result || "(no output)";
      output.hidden = false;
    });
  });
  return h("section.card", {},
    h("h2", {}, "Run a command"),
    h("p.muted", {}, `Runs with /bin/sh -c in the sandbox through its daemon; output and exit code when it ends (stopped after ${executeSeconds} s).`),
    form, errors, exit, output);
}

function previewSection(id) {
  const port = h("input#preview-port", { type: "number", name: "port", min: "1", max: "65535", required: true, placeholder: "8080", "aria-label": "Port" });
  const create = h("button", { type: "submit" }, "Create link");
  const created = h("div");
  const errors = h("div");
  const list = h("tbody");
  const form = h("form.inline", { method: "post" }, port, create);

  const refresh = async () => {
    try {
      const { items } = await api.previews(id);
      list.replaceChildren(...(items.length ? items.map((p) => h("tr", {},
        h("td", { "data-label": "Port" }, String(p.port)),
        h("td", { "data-label": "Id" }, h("code", {}, p.id)),
        h("td", { "data-label": "Created" }, time(p.createdAt)),
        h("td", { "data-label": "Expires" }, p.expiresAt ? new Date(p.expiresAt).toLocaleString() : "never"),
        h("td", {}, revokeButton(id, p, errors, refresh)))) : [h("tr", {}, h("td.muted", { colspan: "5" }, "No links."))]));
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(create, "Creating…", errors, async () => {
      const preview = await api.createPreview(id, Number(port.value));
      created.replaceChildren(h("div.new-link", {},
        h("p", {}, `Link to port ${preview.port}. Shown only now: the link holds its token, and the cluster keeps only a hash of it.`),
        linkRow("Path form", preview.url, "preview-url"),
        preview.hostUrl ? linkRow("Host form (for apps that use absolute paths)", preview.hostUrl, "preview-host-url") : null));
      await refresh();
    });
  });
  return {
    refresh,
    element: h("section.card", {},
      h("h2", {}, "Preview links"),
      h("p.muted", {}, "A link opens an app listening on a port inside the sandbox, without the API key."),
      form, errors, created,
      h("div.table-wrap", {}, h("table.previews", {},
        h("thead", {}, h("tr", {}, ["Port", "Id", "Created", "Expires", ""].map((c) => h("th", {}, c)))), list))),
  };
}

function revokeButton(id, preview, errors, refresh) {
  const button = h("button.small", { type: "button" }, "Revoke");
  button.addEventListener("click", () => busy(button, "Revoking…", errors, async () => {
    await api.revokePreview(id, preview.id);
    await refresh();
  }));
  return button;
}

function linkRow(label, url, elementId) {
  const field = h(`input#${elementId}`, { readOnly: true, value: url, "aria-label": label });
  const copied = h("span.muted", { role: "status" });
  const copy = h("button.small", { type: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      // The clipboard API needs a secure context (https, or localhost); elsewhere the old command still works.
      if (navigator.clipboard) await navigator.clipboard.writeText(url);
      else {
        field.select();
        if (!document.execCommand("copy")) throw new Error("the browser refused");
      }
      copied.textContent = "Copied.";
    } catch (error) {
      copied.textContent = `Could not copy (${error.message}): select the link and copy it by hand.`;
    }
  });
  // noopener: the new tab gets neither this window nor a copy of its sessionStorage (which holds the key).
  return h("div.link-row", {}, h("span.link-label", {}, label), field,
    h("a.button.small", { href: url, target: "_blank", rel: "noopener noreferrer" }, "Open"), copy, copied);
}

function logSection(id) {
  const output = h("pre.output.log#entrypoint-log", {}, "Not loaded yet.");
  const refreshButton = h("button.small", { type: "button" }, "Refresh");
  const errors = h("div");
  const refresh = () => busy(refreshButton, "Loading…", errors, async () => {
    try {
      const { output: text } = await api.entrypointLogs(id);
      const lines = (text ?? "").split("\n");
      output.textContent = lines.slice(-logLines).join("\n") || "(no output yet)";
    } catch (error) {
      // The daemon runs no image command when it is not the container's init (copy or none injection, adopted).
      if (error.code !== "COMMAND_NOT_FOUND") throw error;
      output.textContent = "This sandbox has no entrypoint log: its daemon runs no image command.";
    }
  });
  refreshButton.addEventListener("click", refresh);
  return {
    refresh,
    element: h("section.card", {},
      h("div.heading", {}, h("h2", {}, `Entrypoint log (last ${logLines} lines)`), refreshButton),
      errors, output),
  };
}
