// Preview links from the SDK, fetched: the standing link of a port, and a signed link that expires and dies on expire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { busybox, client, eventually, fetchPage } from './support.mjs';

const daytona = client();
let sandbox;

before(async () => {
  sandbox = await daytona.create({ image: busybox });
  // busybox's httpd in the foreground, in a session of its own so it outlives the command that starts it.
  await sandbox.process.executeCommand('mkdir -p /tmp/www && echo "<h1>hello from 3000</h1>" > /tmp/www/index.html');
  await sandbox.process.createSession('web');
  await sandbox.process.executeSessionCommand('web', { command: 'httpd -f -p 3000 -h /tmp/www', runAsync: true });
});

after(async () => {
  await sandbox?.delete();
  await daytona[Symbol.asyncDispose]();
});

describe('getPreviewLink', () => {
  test('the url opens the page as it is; asked again, the same link', async () => {
    const link = await sandbox.getPreviewLink(3000);

    assert.equal(link.sandboxId, sandbox.id);
    assert.match(link.token, /^[a-z0-9]{32}$/);
    const page = await eventually(async () => {
      const response = await fetch(link.url);
      return response.status === 200 && (await response.text());
    }, { what: 'the page through the preview link' });
    assert.match(page, /hello from 3000/);
    assert.deepEqual(await sandbox.getPreviewLink(3000), link);
  });

  test('a token opens only its own port', async () => {
    const link3000 = await sandbox.getPreviewLink(3000);
    const link8080 = await sandbox.getPreviewLink(8080);

    assert.notEqual(link8080.token, link3000.token);
    const other = await fetch(link3000.url.replace(link3000.token, link8080.token));
    assert.notEqual(other.status, 200);
  });
});

describe('the host form Daytona users build by hand', () => {
  test('{port}-{sandboxId} with the token in X-Daytona-Preview-Token, or in the query', async () => {
    const link = await sandbox.getPreviewLink(3000);
    const other = await sandbox.getPreviewLink(8080);
    const host = `http://3000-${sandbox.id}.localhost:${new URL(link.url).port}/`;

    const page = await fetchPage(host, { 'X-Daytona-Preview-Token': link.token });
    const byQuery = await fetchPage(`${host}?DAYTONA_SANDBOX_AUTH_KEY=${link.token}`);

    assert.equal(page.status, 200);
    assert.match(page.body, /hello from 3000/);
    assert.equal(byQuery.status, 200);
    assert.equal((await fetchPage(host, { 'X-Daytona-Preview-Token': other.token })).status, 404);
    assert.equal((await fetchPage(host)).status, 404);
  });
});

describe('signed preview links', () => {
  test('fetched, then dead after expire', async () => {
    const signed = await sandbox.getSignedPreviewUrl(3000, 120);

    assert.equal(signed.sandboxId, sandbox.id);
    assert.equal(signed.port, 3000);
    assert.ok(signed.url.includes(signed.token), 'the token is in the link');
    const page = await eventually(async () => {
      const response = await fetchPage(signed.url);
      return response.status === 200 && response.body;
    }, { what: 'the page through the signed link' });
    assert.match(page, /hello from 3000/);
    const otherPort = signed.url.replace(`//3000-${signed.token}.`, `//8080-${signed.token}.`);
    assert.notEqual(otherPort, signed.url);
    assert.equal((await fetchPage(otherPort)).status, 404, 'a signed token opens only its port');

    await sandbox.expireSignedPreviewUrl(3000, signed.token);

    assert.equal((await fetchPage(signed.url)).status, 404);
  });

  test('a signed link stops working when its time is up', async () => {
    const signed = await sandbox.getSignedPreviewUrl(3000, 1);

    await eventually(async () => (await fetchPage(signed.url)).status === 410, { timeoutMs: 5000, what: 'the link to expire' });
  });
});
