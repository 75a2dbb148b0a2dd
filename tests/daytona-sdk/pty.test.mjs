// sandbox.process's pseudo-terminals: createPty (SDK 0.218's create-connect WebSocket, envs in a subprotocol), input and
// output, resize, a second client through connectPty, info, list, kill, and the exit code reaching wait().
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dev, eventually, sandboxForFile, unique } from './support.mjs';

const shared = sandboxForFile(dev);

/** A terminal's output as text, collected as it arrives; until() waits for what it should come to hold. */
function collector() {
  const decoder = new TextDecoder();
  const seen = { text: '' };
  seen.onData = (bytes) => {
    seen.text += decoder.decode(bytes, { stream: true });
  };
  seen.until = async (check, what) => {
    try {
      await eventually(() => check(seen.text), { what });
    } catch (error) {
      throw new Error(`${error.message}; the terminal showed ${JSON.stringify(seen.text)}`);
    }
  };
  return seen;
}

describe('process.createPty', () => {
  test('an interactive shell: type, read back, resize, a second client, kill', async () => {
    const id = unique('pty');
    const output = collector();
    const pty = await shared.sandbox.process.createPty({ id, cols: 80, rows: 24, cwd: '/tmp', envs: { GREETING: 'hello' }, onData: output.onData });

    await pty.sendInput('echo hi\n');
    // The terminal echoes the typed line ("echo hi"); the shell's answer is a line of its own, after bash's control
    // sequences.
    await output.until((text) => /[\r\n]hi\r\n/.test(text), '"hi" from the shell');

    await pty.sendInput('echo "$GREETING from $(pwd) on $(tty)"; stty size\n');
    await output.until((text) => /hello from \/tmp on \/dev\/pts\/\d+/.test(text) && text.includes('24 80'), 'env, cwd, tty and size');

    const resized = await pty.resize(120, 40);
    assert.equal(resized.cols, 120);
    assert.equal(resized.rows, 40);
    await pty.sendInput('stty size\n');
    await output.until((text) => text.includes('40 120'), 'the new size inside the terminal');

    const info = await shared.sandbox.process.getPtySessionInfo(id);
    assert.equal(info.active, true);
    assert.equal(info.cwd, '/tmp');
    assert.ok((await shared.sandbox.process.listPtySessions()).some((s) => s.id === id));

    const second = collector();
    const other = await shared.sandbox.process.connectPty(id, { onData: second.onData });
    await other.sendInput('echo "from the second client: $((6*7))"\n');
    await output.until((text) => text.includes('second client: 42'), 'output on the first client');
    await second.until((text) => text.includes('second client: 42'), 'output on the second client');

    await pty.kill();
    const [first, again] = await Promise.all([pty.wait(), other.wait()]);

    assert.equal(first.exitCode, 137);
    assert.equal(first.error, 'SIGKILL');
    assert.equal(again.exitCode, 137);
    assert.ok(!(await shared.sandbox.process.listPtySessions()).some((s) => s.id === id));
  });

  test("the shell's own exit code reaches wait()", async () => {
    const pty = await shared.sandbox.process.createPty({ id: unique('pty-exit'), onData: () => {} });

    await pty.sendInput('exit 0\n');
    const result = await pty.wait();

    assert.equal(result.exitCode, 0);
    assert.equal(result.error, undefined);
  });
});
