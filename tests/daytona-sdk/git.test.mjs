// sandbox.git against the image's own git (sandboxgrains/dev): a repository made inside the sandbox, cloned, changed,
// pushed back and pulled; git's failures as the SDK's git error classes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaytonaGitBranchExistsError, DaytonaGitRepoNotFoundError, DaytonaValidationError } from '@daytonaio/sdk';
import { busybox, dev, sandboxForFile } from './support.mjs';

// The origin: made with the sandbox's git, its checked-out branch updated by pushes (as a work tree would be).
const shared = sandboxForFile(dev, async (sandbox) => {
  const made = await sandbox.process.executeCommand(
    'git init -q -b main /srv/origin && cd /srv/origin && echo hello > readme.md && git add . ' +
      '&& git -c user.name=Origin -c user.email=o@example.com commit -qm "first" && git config receive.denyCurrentBranch updateInstead',
  );
  assert.equal(made.exitCode, 0, made.result);
});
const { daytona } = shared;

describe('sandbox.git', () => {
  test('clone a local repository, change it, commit, push, pull', async () => {
    await shared.sandbox.git.clone('/srv/origin', '/work/clone');

    assert.equal((await shared.sandbox.fs.downloadFile('/work/clone/readme.md')).toString(), 'hello\n');
    const clean = await shared.sandbox.git.status('/work/clone');
    assert.equal(clean.currentBranch, 'main');
    assert.equal(clean.branchPublished, true);
    assert.deepEqual(clean.fileStatus, []);

    await shared.sandbox.fs.uploadFile(Buffer.from('new\n'), '/work/clone/notes.txt');
    const dirty = await shared.sandbox.git.status('/work/clone');
    assert.deepEqual(dirty.fileStatus, [{ name: 'notes.txt', staging: 'Untracked', worktree: 'Untracked', extra: '' }]);

    await shared.sandbox.git.add('/work/clone', ['notes.txt']);
    const { sha } = await shared.sandbox.git.commit('/work/clone', 'add notes', 'Ada', 'ada@example.com');
    assert.match(sha, /^[0-9a-f]{40}$/);
    assert.equal((await shared.sandbox.git.status('/work/clone')).ahead, 1);

    await shared.sandbox.git.push('/work/clone');
    const pushed = await shared.sandbox.process.executeCommand('git log -1 --format="%H %an" && cat notes.txt', '/srv/origin');
    assert.equal(pushed.result, `${sha} Ada\nnew\n`);

    await shared.sandbox.process.executeCommand('echo more >> readme.md && git -c user.name=O -c user.email=o@e commit -qam more', '/srv/origin');
    await shared.sandbox.git.pull('/work/clone');
    assert.equal((await shared.sandbox.fs.downloadFile('/work/clone/readme.md')).toString(), 'hello\nmore\n');
  });

  test('branches: create (and switch to), list, checkout, delete', async () => {
    await shared.sandbox.git.clone('/srv/origin', '/work/branchy');

    await shared.sandbox.git.createBranch('/work/branchy', 'feature');
    assert.deepEqual(await shared.sandbox.git.branches('/work/branchy'), { branches: ['feature', 'main'], current: 'feature' });
    await shared.sandbox.git.checkoutBranch('/work/branchy', 'main');
    await shared.sandbox.git.deleteBranch('/work/branchy', 'feature');

    assert.deepEqual(await shared.sandbox.git.branches('/work/branchy'), { branches: ['main'], current: 'main' });
  });

  test("git's failures as the SDK's git errors", async () => {
    await shared.sandbox.git.clone('/srv/origin', '/work/failing');

    await assert.rejects(shared.sandbox.git.createBranch('/work/failing', 'main'), (error) => {
      assert.ok(error instanceof DaytonaGitBranchExistsError, `got ${error?.constructor?.name}: ${error?.message}`);
      assert.match(error.message, /a branch named 'main' already exists/);
      return true;
    });
    await assert.rejects(shared.sandbox.git.status('/tmp'), (error) => {
      assert.ok(error instanceof DaytonaGitRepoNotFoundError, `got ${error?.constructor?.name}: ${error?.message}`);
      return true;
    });
  });

  test('an image without git: DaytonaValidationError naming git', async () => {
    const bare = await daytona.create({ image: busybox });
    try {
      await assert.rejects(bare.git.clone('/srv/origin', '/tmp/x'), (error) => {
        assert.ok(error instanceof DaytonaValidationError, `got ${error?.constructor?.name}: ${error?.message}`);
        assert.match(error.message, /needs git, and this sandbox's image has none on its PATH/);
        return true;
      });
    } finally {
      await bare.delete();
    }
  });
});
