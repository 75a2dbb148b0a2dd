// The create form: POST /api/v1/sandboxes?wait=false answers at once (state "creating"), and the list then shows the
// sandbox becoming "started" from the event stream.
import { api } from "./api.js";
import { busy, h } from "./dom.js";
import * as live from "./live.js";

/** #/create */
export function createPage(view) {
  const field = (label, input, hint) => h("label.field", {}, h("span", {}, label), input, hint ? h("small.muted", {}, hint) : null);
  const image = h("input#image", { name: "image", required: true, value: "sandboxgrains/busybox:latest", autocomplete: "off" });
  const cpu = h("input#cpu", { name: "cpu", type: "number", min: "0.1", max: "64", step: "0.1", value: "1", required: true });
  const memory = h("input#memory", { name: "memoryMb", type: "number", min: "16", max: "262144", step: "1", value: "512", required: true });
  const injection = h("select#injection", { name: "injection" },
    h("option", { value: "mount", selected: true }, "mount — the daemon's folder mounted read-only (default)"),
    h("option", { value: "copy" }, "copy — copied into the container"),
    h("option", { value: "none" }, "none — the image carries the daemon itself"));
  const name = h("input#name", { name: "name", autocomplete: "off", placeholder: "(a name is made up when empty)" });
  const labels = h("input#labels", { name: "labels", autocomplete: "off", placeholder: "team=web, purpose=demo" });
  const submit = h("button.primary", { type: "submit" }, "Create sandbox");
  const errors = h("div");
  const form = h("form.create", { method: "post" },
    field("Image", image, "Pulled first when the runner does not have it."),
    h("div.pair", {}, field("CPU cores", cpu), field("Memory (MiB)", memory)),
    field("Daemon injection", injection, "How the sandbox daemon gets into the container."),
    field("Name (optional)", name),
    field("Labels (optional)", labels, "key=value pairs separated by commas."),
    errors,
    h("div.actions", {}, submit));
  view.replaceChildren(h("h1", {}, "Create a sandbox"), h("section.card", {}, form));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, "Creating…", errors, async () => {
      const body = { image: image.value.trim(), cpu: Number(cpu.value), memoryMb: Number(memory.value), injection: injection.value };
      if (name.value.trim()) body.name = name.value.trim();
      const parsed = parseLabels(labels.value);
      if (Object.keys(parsed).length) body.labels = parsed;
      const sandbox = await api.create(body);
      // Shown at once in "creating"; the events take it from there.
      live.upsert(sandbox);
      location.hash = `#/sandboxes?new=${encodeURIComponent(sandbox.id)}`;
    });
  });
}

/** "a=1, b=2" to {a: "1", b: "2"}; a pair without "=" is an error in words, not silently dropped. */
function parseLabels(text) {
  const labels = {};
  for (const pair of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new Error(`Label "${pair}" is not key=value.`);
    labels[pair.slice(0, equals).trim()] = pair.slice(equals + 1).trim();
  }
  return labels;
}
