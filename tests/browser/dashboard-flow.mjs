// Walks the web dashboard in Debian's headless Chromium as a person would: a wrong key is refused in words; sign in;
// create a busybox sandbox from the form and watch its row turn "started" without a reload; run a command; serve a
// page from the sandbox and open its preview link; look at the runners; delete the sandbox and watch its row go.
// A screenshot of each page goes into the screenshot folder for people to look at.
//
// Usage: SANDBOXGRAINS_API_KEY=<key> node dashboard-flow.mjs <silo url> <screenshot dir>
// (the key comes from the environment so it does not show in process lists; CHROMIUM overrides /usr/bin/chromium)
// Exit 0 with a JSON summary on stdout; exit 1 with the reason, the step and what the page logged on stderr.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [siloUrl, screenshotDir] = process.argv.slice(2);
const apiKey = process.env.SANDBOXGRAINS_API_KEY;
if (!siloUrl || !screenshotDir || !apiKey) {
  console.error("usage: SANDBOXGRAINS_API_KEY=<key> node dashboard-flow.mjs <silo url> <screenshot dir>");
  process.exit(2);
}

const base = siloUrl.replace(/\/$/, "");
const timeout = 30000;
const startedTimeout = 120000; // a cold create on a busy two-core machine
const name = `dash-${Date.now().toString(36)}`;
const marker = `marker-${Math.random().toString(36).slice(2)}`;
const summary = { sandbox: { name }, screenshots: [], steps: [] };
const logged = [];
let step = "launching Chromium";
let page = null;

await mkdir(screenshotDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  timeout,
});

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on("console", (message) => logged.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => logged.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => dialog.accept());

  const begin = (what) => {
    step = what;
    summary.steps.push(what);
  };
  const shoot = async (file) => {
    const path = join(screenshotDir, file);
    await page.screenshot({ path, fullPage: true });
    summary.screenshots.push(path);
  };
  // Set once after the page loads: a reload or a navigation away would lose it.
  const assertNoReload = async () => {
    const seen = await page.evaluate(() => window.dashboardTestMarker);
    if (seen !== marker) throw new Error("the page was reloaded or navigated away (the window marker is gone)");
  };
  const row = () => page.locator("table.sandboxes tbody tr", { has: page.locator("a.name", { hasText: name }) });

  begin("opening the dashboard");
  const response = await page.goto(`${base}/`, { timeout });
  if (!response?.ok()) throw new Error(`${base}/ answered ${response?.status() ?? "nothing"}`);
  const csp = response.headers()["content-security-policy"] ?? "";
  if (!csp.includes("default-src 'self'")) throw new Error(`no strict Content-Security-Policy on /: "${csp}"`);
  await page.evaluate((value) => { window.dashboardTestMarker = value; }, marker);
  await page.locator("#sign-in-form").waitFor();

  begin("a wrong key is refused in words");
  await page.fill("#api-key", `wrong-${apiKey}-wrong`);
  await page.click("#sign-in-form button[type=submit]");
  await page.locator("#sign-in-error", { hasText: "That API key was refused" }).waitFor();
  if (await page.locator("#nav").isVisible()) throw new Error("the dashboard opened with a wrong key");
  if (await page.evaluate(() => sessionStorage.length) !== 0) throw new Error("a refused key was kept in sessionStorage");
  await shoot("sign-in-refused.png");

  begin("signing in");
  await page.fill("#api-key", apiKey);
  await page.click("#sign-in-form button[type=submit]");
  await page.locator("table.sandboxes").waitFor();
  await page.locator("#live.connected").waitFor();
  const stored = await page.evaluate(() => ({ session: Object.values(sessionStorage), local: localStorage.length, cookie: document.cookie, url: location.href }));
  if (!stored.session.includes(apiKey) || stored.local !== 0 || stored.cookie !== "" || stored.url.includes(apiKey)) {
    throw new Error(`the key is not kept in sessionStorage alone: ${JSON.stringify({ ...stored, session: stored.session.length })}`);
  }

  begin("creating a sandbox from the form");
  await page.click("#nav a[data-route=create]");
  await page.fill("#image", "sandboxgrains/busybox:latest");
  await page.fill("#cpu", "0.5");
  await page.fill("#memory", "256");
  await page.fill("#name", name);
  await page.fill("#labels", "made-by=dashboard-test");
  await shoot("create.png");
  await page.click("form.create button[type=submit]");
  await row().waitFor();
  summary.sandbox.firstSeenState = await row().locator(".pill").innerText();
  summary.sandbox.id = await row().getAttribute("data-id");

  begin("watching the row turn started without a reload");
  await row().locator(".pill", { hasText: /^started$/ }).waitFor({ timeout: startedTimeout });
  await assertNoReload();
  await shoot("sandboxes.png");

  begin("the list at phone width");
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shoot("sandboxes-390px.png");
  if (overflow > 0) throw new Error(`the list overflows a 390 px wide screen by ${overflow} px`);
  await page.setViewportSize({ width: 1280, height: 860 });

  begin("running a command on the sandbox's page");
  await row().locator("a.name").click();
  await page.locator("h1 .pill", { hasText: /^started$/ }).waitFor();
  await page.fill("#command", "echo dashboard-ok");
  await page.click("form:has(#command) button[type=submit]");
  await page.locator("#command-output", { hasText: "dashboard-ok" }).waitFor();
  await page.locator("#exit-code", { hasText: "exit code 0" }).waitFor();

  begin("starting a web server through the command box");
  // busybox's httpd; its output pointed away so the command's answer does not wait on the server's open pipes.
  await page.fill("#command", "mkdir -p /tmp/www && echo preview-ok > /tmp/www/index.html && httpd -p 8080 -h /tmp/www </dev/null >/dev/null 2>&1 && echo httpd-up");
  await page.click("form:has(#command) button[type=submit]");
  await page.locator("#command-output", { hasText: "httpd-up" }).waitFor();

  begin("creating a preview link and opening it");
  await page.fill("#preview-port", "8080");
  await page.click("form:has(#preview-port) button[type=submit]");
  const previewUrl = await page.locator("#preview-url").inputValue();
  const open = page.locator(".link-row", { has: page.locator("#preview-url") }).locator("a", { hasText: "Open" });
  if (await open.getAttribute("href") !== previewUrl || await open.getAttribute("target") !== "_blank" || !(await open.getAttribute("rel")).includes("noopener")) {
    throw new Error("the Open link does not open the preview URL in a new tab without an opener");
  }
  await page.locator("table.previews tbody td", { hasText: /^8080$/ }).waitFor();
  const tab = await context.newPage();
  const previewAnswer = await tab.goto(previewUrl, { timeout });
  const previewText = (await tab.content()).trim();
  await tab.close();
  if (previewAnswer?.status() !== 200 || !previewText.includes("preview-ok")) {
    throw new Error(`the preview link answered ${previewAnswer?.status()}: ${previewText.slice(0, 200)}`);
  }
  summary.preview = { status: previewAnswer.status(), path: new URL(previewUrl).pathname.replace(/[a-z0-9]{32}/, "<token>") };

  begin("reading the entrypoint log");
  await page.click("section:has(#entrypoint-log) button");
  await page.locator("#entrypoint-log", { hasNotText: "Not loaded yet." }).waitFor();
  summary.entrypointLog = (await page.locator("#entrypoint-log").innerText()).slice(0, 200);
  await assertNoReload();
  await shoot("sandbox.png");

  begin("the runners page");
  await page.click("#nav a[data-route=runners]");
  await page.locator(".runner meter").first().waitFor();
  summary.runners = await page.locator(".runner").count();
  await shoot("runners.png");

  begin("deleting the sandbox and watching its row go");
  await page.click("#nav a[data-route=sandboxes]");
  await row().locator("a.name").click();
  await page.locator("h1 .pill", { hasText: /^started$/ }).waitFor();
  await page.click("button.danger");
  await page.locator("table.sandboxes").waitFor();
  await row().waitFor({ state: "detached", timeout: 60000 });
  await assertNoReload();

  const errors = logged.filter((line) => line.startsWith("page error"));
  if (errors.length) throw new Error(`the page threw: ${errors.join("; ")}`);
  summary.ok = true;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} catch (error) {
  // What the page showed when it failed is often the quickest explanation.
  const shot = join(screenshotDir, "failure.png");
  await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`dashboard flow failed while ${step}: ${error.message}\nscreenshot: ${shot}\n${JSON.stringify(summary)}\n${logged.join("\n")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
