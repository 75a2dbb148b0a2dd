// A script that leaves its sandbox behind must still end promptly: the SDK keeps Node alive while its event channel
// (Socket.IO at /api/socket.io/) retries, and lets go once it is connected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { api } from './support.mjs';

const promptly = 5000;

test('a script that does not delete its sandbox exits promptly', async () => {
  const script = fileURLToPath(new URL('./scripts/leave-sandbox.mjs', import.meta.url));
  const started = Date.now();
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  let printedAt;
  let timer = setTimeout(() => child.kill('SIGKILL'), 90000);
  child.stdout.once('data', () => {
    // Its last line is out: from now on it should only be leaving. Give up well past "promptly".
    printedAt = Date.now();
    clearTimeout(timer);
    timer = setTimeout(() => child.kill('SIGKILL'), promptly + 5000);
  });

  const code = await new Promise((resolve) => {
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const id = output.trim();
  if (id) {
    await api(`/sandbox/${id}`, { method: 'DELETE' });
  }

  assert.equal(code, 0, 'the script ran to its end');
  assert.ok(Date.now() - (printedAt ?? started) < promptly, `it lingered ${Date.now() - (printedAt ?? started)} ms after its last line`);
});
