// The toolbox through the SDK: commands and files, sent to {toolboxProxyUrl}/{id}/… with the same API key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaytonaNotFoundError } from '@daytonaio/sdk';
import { busybox, client, eventually } from './support.mjs';

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

describe('process sessions', () => {
  test('a command run and read back, its logs as JSON and streamed', async () => {
    await sandbox.process.createSession('work');

    const run = await sandbox.process.executeSessionCommand('work', { command: 'cd /tmp && export X=kept && echo one' });
    assert.equal(run.exitCode, 0);
    assert.equal(run.output.trim(), 'one');
    const next = await sandbox.process.executeSessionCommand('work', { command: 'pwd; echo $X; echo err >&2' });
    assert.equal(next.stdout, '/tmp\nkept\n');
    assert.equal(next.stderr, 'err\n');

    const command = await sandbox.process.getSessionCommand('work', next.cmdId);
    assert.equal(command.exitCode, 0);
    const logs = await sandbox.process.getSessionCommandLogs('work', next.cmdId);
    assert.equal(logs.stdout, '/tmp\nkept\n');

    const started = await sandbox.process.executeSessionCommand('work', { command: 'echo a; sleep 0.3; echo b >&2', runAsync: true });
    let out = '';
    let err = '';
    await sandbox.process.getSessionCommandLogs('work', started.cmdId, (chunk) => (out += chunk), (chunk) => (err += chunk));
    assert.equal(out, 'a\n');
    assert.equal(err, 'b\n');

    assert.ok((await sandbox.process.listSessions()).some((s) => s.sessionId === 'work'));
    await sandbox.process.deleteSession('work');
    assert.ok(!(await sandbox.process.listSessions()).some((s) => s.sessionId === 'work'));
  });
});

describe('fs, the rest', () => {
  test('many files up and down, details, move, find, search, replace, permissions', async () => {
    await sandbox.fs.uploadFiles([
      { source: Buffer.from('alpha needle\n'), destination: '/tmp/more/one.txt' },
      { source: Buffer.from('beta\n'), destination: '/tmp/more/two.log' },
    ]);

    const downloaded = await sandbox.fs.downloadFiles([{ source: '/tmp/more/one.txt' }, { source: '/tmp/more/two.log' }]);
    assert.deepEqual(downloaded.map((d) => d.result.toString()), ['alpha needle\n', 'beta\n']);
    assert.equal((await sandbox.fs.getFileDetails('/tmp/more/one.txt')).size, 13);
    assert.deepEqual(await sandbox.fs.findFiles('/tmp/more', 'needle'), [{ file: '/tmp/more/one.txt', line: 1, content: 'alpha needle' }]);
    assert.deepEqual((await sandbox.fs.searchFiles('/tmp/more', '*.log')).files, ['/tmp/more/two.log']);

    await sandbox.fs.replaceInFiles(['/tmp/more/one.txt'], 'needle', 'thread');
    await sandbox.fs.moveFiles('/tmp/more/one.txt', '/tmp/more/three.txt');
    await sandbox.fs.setFilePermissions('/tmp/more/three.txt', { mode: '600' });

    const details = await sandbox.fs.getFileDetails('/tmp/more/three.txt');
    assert.equal((await sandbox.fs.downloadFile('/tmp/more/three.txt')).toString(), 'alpha thread\n');
    assert.equal(details.permissions, '0600');
  });
});

describe('not served yet', () => {
  test('metrics say so with a 501, not a 404', async () => {
    const calls = {
      getMetricsLatest: () => sandbox.getMetricsLatest(),
    };
    for (const [name, call] of Object.entries(calls)) {
      await assert.rejects(call(), (error) => {
        assert.equal(error.statusCode, 501, `${name}: ${error.message}`);
        assert.match(error.message, /is not supported by SandboxGrains/);
        return true;
      });
    }
  });
});

describe('signed file links', () => {
  test('uploadUrl and downloadUrl work with no key; another path or an expired link is refused', async () => {
    const upload = await sandbox.uploadUrl('/tmp/signed.txt', 60);
    const form = new FormData();
    form.append('file', new Blob(['signed upload\n']), 'signed.txt');

    const put = await fetch(upload, { method: 'POST', body: form });
    const download = await sandbox.downloadUrl('/tmp/signed.txt', 60);
    const got = await fetch(download);

    assert.ok(put.ok, `${put.status} ${await put.text()}`);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'signed upload\n');
    assert.equal((await fetch(download.replace('signed.txt', 'other.txt'))).status, 401);
    const shortLived = await sandbox.downloadUrl('/tmp/signed.txt', 1);
    await eventually(async () => (await fetch(shortLived)).status === 401, { timeoutMs: 5000, what: 'the link to expire' });
  });
});
