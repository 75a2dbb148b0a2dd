// The sandbox's life through Daytona's SDK: create, get, list, labels, stop/start, auto-stop, delete, not found.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaytonaNotFoundError } from '@daytonaio/sdk';
import { api, busybox, client, eventually, unique } from './support.mjs';

const daytona = client();
const made = [];

after(async () => {
  await Promise.allSettled(made.map((sandbox) => sandbox.delete()));
  await daytona[Symbol.asyncDispose]();
});

async function create(params) {
  const sandbox = await daytona.create(params);
  made.push(sandbox);
  return sandbox;
}

describe('create', () => {
  test('with no arguments: the default image, started, with the toolbox language label', async () => {
    const sandbox = await create();

    assert.equal(sandbox.state, 'started');
    assert.match(sandbox.id, /^[a-z0-9]{16}$/);
    assert.equal(sandbox.labels['code-toolbox-language'], 'python');
    assert.equal((await sandbox.process.executeCommand('echo ready')).result.trim(), 'ready');
  });

  test('from an image, with name, env, labels, resources and intervals', async () => {
    const name = unique('from-image');
    const sandbox = await create({
      image: busybox,
      name,
      envVars: { GREETING: 'hello' },
      labels: { suite: 'daytona-sdk' },
      resources: { cpu: 1, memory: 1 },
      autoStopInterval: 30,
    });

    assert.equal(sandbox.state, 'started');
    assert.equal(sandbox.name, name);
    assert.equal(sandbox.snapshot, busybox);
    assert.equal(sandbox.cpu, 1);
    assert.equal(sandbox.memory, 1);
    assert.equal(sandbox.autoStopInterval, 30);
    assert.equal(sandbox.labels.suite, 'daytona-sdk');
    assert.equal((await sandbox.process.executeCommand('echo $GREETING')).result.trim(), 'hello');
  });

  test('from one of our snapshots by name, and from an image named as the snapshot', async () => {
    const source = await create({ image: busybox });
    await source.process.executeCommand('echo from-snapshot > /marker');
    const name = unique('daytona-snap');
    const taken = await api(`/v1/sandboxes/${source.id}/snapshots`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    try {
      const fromSnapshot = await create({ snapshot: name });

      assert.equal(fromSnapshot.snapshot, name);
      assert.equal((await fromSnapshot.process.executeCommand('cat /marker')).result.trim(), 'from-snapshot');
    } finally {
      await api(`/v1/snapshots/${name}`, { method: 'DELETE' });
    }

    const fromImage = await create({ snapshot: busybox });
    assert.equal(fromImage.snapshot, busybox);
  });

  test('an image that does not parse is a validation error naming the field', async () => {
    await assert.rejects(daytona.create({ image: 'Team/App::1' }), (error) => {
      assert.equal(error.statusCode, 400);
      assert.match(error.message, /image/);
      return true;
    });
  });
});

describe('get and list', () => {
  let sandbox;
  const team = unique('team');

  before(async () => {
    sandbox = await create({ image: busybox, name: unique('named'), labels: { team } });
  });

  test('get by id and by name', async () => {
    const byId = await daytona.get(sandbox.id);
    const byName = await daytona.get(sandbox.name);

    assert.equal(byId.id, sandbox.id);
    assert.equal(byName.id, sandbox.id);
    assert.equal(byName.state, 'started');
  });

  test('an unknown sandbox is DaytonaNotFoundError with a readable message', async () => {
    await assert.rejects(daytona.get('nosuchsandbox000'), (error) => {
      assert.ok(error instanceof DaytonaNotFoundError, `got ${error?.constructor?.name}: ${error?.message}`);
      assert.equal(error.statusCode, 404);
      assert.match(error.message, /nosuchsandbox000 not found/);
      return true;
    });
  });

  test('list by labels, across pages', async () => {
    const more = await Promise.all([1, 2].map(() => create({ image: busybox, labels: { team } })));
    const expected = [sandbox, ...more].map((s) => s.id).sort();

    const listed = [];
    for await (const item of daytona.list({ labels: { team }, limit: 2 })) {
      listed.push(item.id);
    }

    assert.deepEqual(listed.sort(), expected);
    const firstPage = await api(`/sandbox?limit=2&labels=${encodeURIComponent(JSON.stringify({ team }))}`);
    assert.equal(firstPage.status, 200);
    assert.equal(firstPage.body.items.length, 2);
    assert.ok(firstPage.body.nextCursor, 'a full first page has a cursor');
  });

  test('list by snapshot, resources and time; a sort is refused with a 501', async () => {
    const inTeam = async (query) => {
      const ids = [];
      for await (const item of daytona.list({ labels: { team }, ...query })) {
        ids.push(item.id);
      }
      return ids.sort();
    };
    const all = await inTeam({});

    assert.ok(all.includes(sandbox.id));
    assert.deepEqual(await inTeam({ snapshots: [busybox] }), all);
    assert.deepEqual(await inTeam({ snapshots: ['sandboxgrains/base:latest'] }), []);
    assert.deepEqual(await inTeam({ minCpu: 1, maxMemoryGib: 1 }), all);
    assert.deepEqual(await inTeam({ minCpu: 2 }), []);
    assert.deepEqual(await inTeam({ createdAtAfter: new Date(Date.now() + 60000) }), []);
    await assert.rejects(inTeam({ sort: 'name' }), (error) => error.statusCode === 501 && /sorting/.test(error.message));
  });

  test('list by state and name prefix', async () => {
    const listed = [];
    for await (const item of daytona.list({ name: sandbox.name.slice(0, -2), states: ['started'] })) {
      listed.push(item.id);
    }

    assert.deepEqual(listed, [sandbox.id]);
  });
});

describe('snapshots', () => {
  test('createSnapshot, then snapshot.get, list, a create from it, delete; from an image is refused', async () => {
    const source = await create({ image: busybox });
    await source.process.executeCommand('echo via-sdk > /marker');
    const name = unique('sdk-snap');

    await source.createSnapshot(name);

    assert.equal(source.state, 'started');
    const snapshot = await daytona.snapshot.get(name);
    assert.equal(snapshot.name, name);
    assert.equal(snapshot.state, 'active');
    assert.ok((await daytona.snapshot.list()).items.some((s) => s.name === name));
    const fromIt = await create({ snapshot: name });
    assert.equal((await fromIt.process.executeCommand('cat /marker')).result.trim(), 'via-sdk');

    await daytona.snapshot.delete(snapshot);

    await assert.rejects(daytona.snapshot.get(name), DaytonaNotFoundError);
    await assert.rejects(daytona.snapshot.create({ name: unique('from-image'), image: busybox }), (error) => error.statusCode === 501);
  });
});

describe('volumes', () => {
  test('volume.create, get, list; sandboxes mount it by id and its data outlives them; delete', async () => {
    const name = unique('sdk-vol');
    const volume = await daytona.volume.create(name);

    assert.equal(volume.name, name);
    assert.equal(volume.state, 'ready');
    assert.equal((await daytona.volume.get(name)).id, volume.id);
    assert.ok((await daytona.volume.list()).some((v) => v.id === volume.id));
    const first = await daytona.create({ image: busybox, volumes: [{ volumeId: volume.id, mountPath: '/data' }] });
    assert.equal(first.volumes[0].mountPath, '/data');
    await first.process.executeCommand('echo kept > /data/file');
    await first.delete();
    const second = await daytona.create({ image: busybox, volumes: [{ volumeId: volume.id, mountPath: '/data' }] });
    assert.equal((await second.process.executeCommand('cat /data/file')).result.trim(), 'kept');
    await second.delete();

    await daytona.volume.delete(volume);

    await assert.rejects(daytona.volume.get(name), DaytonaNotFoundError);
  });
});

describe('changes', () => {
  test('labels replaced, the toolbox label kept only when sent', async () => {
    const sandbox = await create({ image: busybox, labels: { a: '1' } });

    const labels = await sandbox.setLabels({ b: '2', 'code-toolbox-language': 'python' });

    assert.deepEqual(labels, { b: '2', 'code-toolbox-language': 'python' });
    assert.deepEqual((await daytona.get(sandbox.id)).labels, labels);
  });

  test('auto-stop, auto-archive and auto-delete intervals', async () => {
    const sandbox = await create({ image: busybox });

    await sandbox.setAutostopInterval(45);
    await sandbox.setAutoArchiveInterval(120);
    await sandbox.setAutoDeleteInterval(600);
    await sandbox.refreshData();

    assert.equal(sandbox.autoStopInterval, 45);
    assert.equal(sandbox.autoArchiveInterval, 120);
    assert.equal(sandbox.autoDeleteInterval, 600);
    await sandbox.setAutoDeleteInterval(-1);
    await sandbox.refreshData();
    assert.equal(sandbox.autoDeleteInterval, -1);
  });

  test('ttl, from now, and activity', async () => {
    const sandbox = await create({ image: busybox });

    await sandbox.setTtl(30);
    await sandbox.refreshActivity();
    await sandbox.refreshData();

    const minutesLeft = (Date.parse(sandbox.autoDestroyAt) - Date.now()) / 60000;
    assert.ok(minutesLeft > 29 && minutesLeft <= 31, `autoDestroyAt ${sandbox.autoDestroyAt} is not about 30 min from now`);
    assert.ok(Date.now() - Date.parse(sandbox.lastActivityAt) < 60000, `lastActivityAt ${sandbox.lastActivityAt}`);
  });

  test('stop, then start, keeps the files', async () => {
    const sandbox = await create({ image: busybox });
    await sandbox.process.executeCommand('echo kept > /tmp/mark');

    await sandbox.stop();
    assert.equal(sandbox.state, 'stopped');
    await sandbox.start();

    assert.equal(sandbox.state, 'started');
    assert.equal((await sandbox.process.executeCommand('cat /tmp/mark')).result.trim(), 'kept');
  });

  test('a change made elsewhere reaches the sandbox object through the event channel', async () => {
    const sandbox = await create({ image: busybox });

    const stopped = await api(`/v1/sandboxes/${sandbox.id}/stop`, { method: 'POST' });

    assert.equal(stopped.status, 200);
    await eventually(() => sandbox.state === 'stopped', { what: `an event to set ${sandbox.id} stopped (it is ${sandbox.state})` });
  });

  test('delete: gone, and then not found', async () => {
    const sandbox = await daytona.create({ image: busybox });
    const id = sandbox.id;

    await sandbox.delete();

    assert.equal(sandbox.id, id, 'the answer to delete must not wipe the object');
    assert.equal(sandbox.state, 'destroyed');
    await assert.rejects(daytona.get(id), DaytonaNotFoundError);
  });
});
