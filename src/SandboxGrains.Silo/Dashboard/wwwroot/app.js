// The dashboard's entry: sign-in with an API key, hash routes (#/sandboxes, #/sandboxes/{id}, #/runners, #/create),
// and the event stream that keeps the pages current. Routes live in the fragment so the silo serves one page and a
// reload keeps the place; the key never appears in them.
import { ApiError, api, key, whenKeyRefused } from "./api.js";
import { createPage } from "./create.js";
import { h } from "./dom.js";
import * as live from "./live.js";
import { runnersPage } from "./runners.js";
import { sandboxPage } from "./sandbox.js";
import { listPage } from "./sandboxes.js";

const $ = (id) => document.getElementById(id);
const signInSection = $("sign-in");
const signInForm = $("sign-in-form");
const keyInput = $("api-key");
const signInError = $("sign-in-error");
const view = $("view");
const nav = $("nav");
const liveStatus = $("live");
const signOutButton = $("sign-out");

let leave = null;

function route() {
  leave?.();
  leave = null;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query ?? "");
  const page = parts[0] ?? "sandboxes";
  for (const link of nav.querySelectorAll("a[data-route]")) {
    link.classList.toggle("current", link.dataset.route === page);
  }
  if (page === "sandboxes" && parts[1]) leave = sandboxPage(view, { id: decodeURIComponent(parts[1]) });
  else if (page === "runners") leave = runnersPage(view);
  else if (page === "create") leave = createPage(view);
  else if (page === "sandboxes") leave = listPage(view, { highlight: params.get("new") });
  else view.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No such page. ", h("a", { href: "#/sandboxes" }, "Go to the sandboxes.")));
  window.scrollTo(0, 0);
}

function showSignedIn(signedIn) {
  signInSection.hidden = signedIn;
  view.hidden = nav.hidden = liveStatus.hidden = signOutButton.hidden = !signedIn;
}

function enter() {
  showSignedIn(true);
  live.start();
  route();
}

function signOut(message) {
  key.clear();
  live.stop();
  leave?.();
  leave = null;
  view.replaceChildren();
  keyInput.value = "";
  signInError.textContent = message ?? "";
  signInError.hidden = !message;
  showSignedIn(false);
  keyInput.focus();
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const candidate = keyInput.value.trim();
  const button = signInForm.querySelector("button");
  signInError.hidden = true;
  if (!candidate) return;
  button.disabled = true;
  try {
    // Any authenticated call tells a good key from a bad one; the runners list is small.
    await api.runners({ apiKey: candidate });
    key.set(candidate);
    keyInput.value = "";
    enter();
  } catch (error) {
    signInError.textContent = error instanceof ApiError && error.status === 401
      ? "That API key was refused. Check it and try again (tools/run.sh prints the key when the silo starts)."
      : `Could not sign in: ${error.message}`;
    signInError.hidden = false;
  } finally {
    button.disabled = false;
  }
});

signOutButton.addEventListener("click", () => signOut());
whenKeyRefused(() => signOut("The API key was refused (it may have been revoked). Sign in again."));
window.addEventListener("hashchange", () => {
  if (key.get()) route();
});
live.watch((_, status) => {
  liveStatus.textContent = status.connected ? "● live" : `○ ${status.text}`;
  liveStatus.classList.toggle("connected", status.connected);
  liveStatus.title = status.connected ? "Following the cluster's events" : status.text;
});

// A page nothing catches would otherwise fail without a word.
window.addEventListener("unhandledrejection", (event) => {
  const message = event.reason?.message ?? String(event.reason);
  view.prepend(h("p.error", { role: "alert" }, `Something went wrong: ${message}`));
});

if (key.get()) enter();
else showSignedIn(false);
