// Small helpers for building the page with DOM calls: the CSP forbids inline script and style, and building
// elements (never innerHTML) keeps names, labels and command output from ever being read as markup.

/** h("pre.output#log", {attributes}, "text", child…): an element with classes, an id, attributes and children. */
export function h(spec, attributes = {}, ...children) {
  const [tag] = spec.split(/[.#]/, 1);
  const element = document.createElement(tag);
  for (const [, kind, name] of spec.slice(tag.length).matchAll(/([.#])([^.#]+)/g)) {
    if (kind === "#") element.id = name;
    else element.classList.add(name);
  }
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** The coloured state pill; the class picks the colour, so a new state still shows, in grey. */
export function pill(state) {
  return h(`span.pill.state-${state}`, { "data-state": state }, state);
}

/** A message in words where something went wrong; role=alert so screen readers say it too. */
export function errorBox(error) {
  return h("p.error", { role: "alert" }, error instanceof Error ? error.message : String(error));
}

/** "3 min ago", "2 h ago": how long ago, at a glance; the exact time goes in a title. */
export function ago(iso) {
  if (!iso) return "—";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.floor(seconds)} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function time(iso) {
  return iso ? h("time", { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso)) : "—";
}

export function labelChips(labels) {
  const entries = Object.entries(labels ?? {});
  return entries.length ? h("span.labels", {}, entries.map(([k, v]) => h("span.label", {}, `${k}=${v}`))) : "—";
}

/** Runs an action from a button: disabled and relabelled while it runs, errors shown in `errors`. */
export async function busy(button, working, errors, action) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = working;
  errors.replaceChildren();
  try {
    return await action();
  } catch (error) {
    errors.replaceChildren(errorBox(error));
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}
