// Opens one page in Debian's headless Chromium and prints the text an element ends up with, as the page's own script
// wrote it. Usage: node read-page.mjs <url> <css selector> [timeout ms]
// Exit 0 with the text on stdout; exit 1 with the reason (and what the page logged) on stderr.
import { chromium } from "playwright-core";

const [url, selector, timeoutArg] = process.argv.slice(2);
if (!url || !selector) {
  console.error("usage: node read-page.mjs <url> <css selector> [timeout ms]");
  process.exit(2);
}

const timeout = Number(timeoutArg ?? 20000);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  timeout,
});
const logged = [];
try {
  const page = await browser.newPage();
  page.on("console", (message) => logged.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => logged.push(`page error: ${error.message}`));
  const response = await page.goto(url, { timeout });
  if (!response || !response.ok()) {
    throw new Error(`${url} answered ${response?.status() ?? "nothing"}`);
  }

  // The element is written once, by the page's script, when its WebSocket round trip is done.
  const element = page.locator(selector);
  await element.filter({ hasText: /\S/ }).waitFor({ timeout });
  process.stdout.write(await element.innerText());
} catch (error) {
  console.error(`${error.message}\n${logged.join("\n")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
