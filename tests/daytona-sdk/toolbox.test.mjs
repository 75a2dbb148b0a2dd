// The toolbox through the SDK: commands and files, sent to {toolboxProxyUrl}/{id}/… with the same API key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaytonaNotFoundError } from '@daytonaio/sdk';
import { busybox, client } from './support.mjs';

const daytona = client();
let sandbox;

before(async () => {
  sandbox = await daytona.create({ image: busybox });
});

after(async () => {
  await sandbox?.delete();
  await daytona[Symbol.asyncDispose]();
});

describe('process.executeCommand', () => {
  test('output and exit code 0', async () => {
    const response = await sandbox.process.executeCommand('echo hello; echo oops >&2');

    assert.equal(response.exitCode, 0);
    assert.equal(response.result, 'hello\noops\n');
    assert.equal(response.artifacts.stdout, response.result);
  });

  test('a failing command: its exit code, not an error', async () => {
    const response = await sandbox.process.executeCommand('exit 3');

    assert.equal(response.exitCode, 3);
  });

  test('env and cwd', async () => {
    await sandbox.process.executeCommand('mkdir -p /tmp/here');

    const response = await sandbox.process.executeCommand('echo "$A-$B" && pwd', '/tmp/here', { A: 'one', B: 'two' });

    assert.equal(response.result, 'one-two\n/tmp/here\n');
  });
});

describe('fs', () => {
  test('upload, download, list, delete', async () => {
    await sandbox.fs.createFolder('/tmp/files', '755');
    await sandbox.fs.uploadFile(Buffer.from('first file\n'), '/tmp/files/a.txt');
    await sandbox.fs.uploadFile(Buffer.from([0, 1, 2, 255]), '/tmp/files/b.bin');

    assert.equal((await sandbox.fs.downloadFile('/tmp/files/a.txt')).toString(), 'first file\n');
    assert.deepEqual([...(await sandbox.fs.downloadFile('/tmp/files/b.bin'))], [0, 1, 2, 255]);
    const listed = await sandbox.fs.listFiles('/tmp/files');
    assert.deepEqual(listed.map((f) => f.name).sort(), ['a.txt', 'b.bin']);
    assert.equal(listed.find((f) => f.name === 'a.txt').size, 11);

    await sandbox.fs.deleteFile('/tmp/files/a.txt');

    assert.deepEqual((await sandbox.fs.listFiles('/tmp/files')).map((f) => f.name), ['b.bin']);
  });

  test('a missing file is DaytonaNotFoundError', async () => {
    await assert.rejects(sandbox.fs.downloadFile('/tmp/no/such/file'), (error) => {
      assert.ok(error instanceof DaytonaNotFoundError, `got ${error?.constructor?.name}: ${error?.message}`);
      assert.match(error.message, /no\/such\/file/);
      return true;
    });
  });
});
