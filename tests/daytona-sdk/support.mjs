// What every test file here shares: a Daytona client pointed at the silo under test, and a few small helpers.
// The silo comes from SANDBOXGRAINS_URL (e.g. http://127.0.0.1:5080) and SANDBOXGRAINS_API_KEY; tools/test-daytona-sdk.sh
// starts one and sets both.
import http from 'node:http';
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { Daytona } from '@daytonaio/sdk';

export const siloUrl = required('SANDBOXGRAINS_URL').replace(/\/+$/, '');
export const apiKey = required('SANDBOXGRAINS_API_KEY');
export const apiUrl = `${siloUrl}/api`;

/** The small image with busybox (sh, httpd) that tools/build-images.sh builds. */
export const busybox = 'sandboxgrains/busybox:latest';

/** Debian with Python, git and Node.js (tools/build-images.sh dev): what codeRun, git and a PTY's shell need. */
export const dev = 'sandboxgrains/dev:latest';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests with tools/test-daytona-sdk.sh, or set it to a running silo's`);
  }
  return value;
}

/** A client as a Daytona user makes one: only the API URL and key differ from Daytona's cloud. */
export function client() {
  return new Daytona({ apiUrl, apiKey });
}

/**
 * The sandbox a test file's tests share: created from `image` (then given to `prepare`, if any) before them, deleted
 * after them, the client disposed. `shared.sandbox` is that sandbox once the file's tests run; `shared.daytona` the client.
 */
export function sandboxForFile(image, prepare = async () => {}) {
  const shared = { daytona: client(), sandbox: undefined };
  before(async () => {
    shared.sandbox = await shared.daytona.create({ image });
    await prepare(shared.sandbox);
  });
  after(async () => {
    await shared.sandbox?.delete();
    await shared.daytona[Symbol.asyncDispose]();
  });
  return shared;
}

/** A fresh name or label value, so tests never see each other's sandboxes. */
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A raw call to the Daytona API, for what the SDK does not expose (a page's cursor). */
export async function api(path, init = {}) {
  const response = await fetch(`${apiUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${apiKey}`, ...(init.headers ?? {}) },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * GET a URL as a browser would, but sent to the silo's own address: host-form links name a host under the preview
 * domain (localhost by default) that Node's resolver may not know, so the Host header carries it instead.
 */
export function fetchPage(url, headers = {}) {
  const target = new URL(url);
  const silo = new URL(siloUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: silo.hostname, port: silo.port, path: target.pathname + target.search, headers: { ...headers, Host: target.host } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** Polls until check() returns a truthy value or the deadline passes. */
export async function eventually(check, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) {
        return last;
      }
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms (last: ${last})`);
}
