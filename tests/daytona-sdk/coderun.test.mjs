// process.codeRun with the interpreters of the image, the language taken from the sandbox's code-toolbox-language
// label as the SDK does; and updateEnv, which later runs see.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaytonaTimeoutError, DaytonaValidationError } from '@daytonaio/sdk';
import { busybox, dev, sandboxForFile } from './support.mjs';

const shared = sandboxForFile(dev);
const { daytona } = shared;

/** The same sandbox seen through another code-toolbox-language label (the SDK reads it when it builds a Sandbox). */
async function speaking(language) {
  await shared.sandbox.setLabels({ 'code-toolbox-language': language });
  return daytona.get(shared.sandbox.id);
}

describe('process.codeRun', () => {
  test('Python (the default language) with argv and env', async () => {
    const response = await shared.sandbox.process.codeRun(
      'import os, sys\nprint(sys.argv[1:], os.environ["GREETING"])\nprint("to stderr", file=sys.stderr)',
      { argv: ['two words', 'x'], env: { GREETING: 'hi' } },
    );

    assert.equal(response.exitCode, 0);
    assert.equal(response.result, "['two words', 'x'] hi\nto stderr\n");
    assert.equal(response.artifacts.stdout, response.result);
  });

  test("a failing program's exit code, not an error", async () => {
    const response = await shared.sandbox.process.codeRun('import sys\nsys.exit(3)');

    assert.equal(response.exitCode, 3);
  });

  test('JavaScript with argv', async () => {
    const js = await speaking('javascript');

    const response = await js.process.codeRun('console.log(process.argv.slice(2).join("|"), process.env.N)', { argv: ['a', 'b c'], env: { N: '7' } });

    assert.equal(response.exitCode, 0);
    assert.equal(response.result, 'a|b c 7\n');
  });

  test('the shell, with argv and env', async () => {
    const shell = await speaking('shell');

    const response = await shell.process.codeRun('echo "$# $1 $2 $COLOR"; exit 5', { argv: ['one', 'two'], env: { COLOR: 'red' } });

    assert.equal(response.exitCode, 5);
    assert.equal(response.result, '2 one two red\n');
  });

  test('TypeScript in an image with Node.js but neither ts-node nor npx: DaytonaValidationError naming them', async () => {
    const ts = await speaking('typescript');

    await assert.rejects(ts.process.codeRun('const n: number = 1; console.log(n)'), (error) => {
      assert.ok(error instanceof DaytonaValidationError, `got ${error?.constructor?.name}: ${error?.message}`);
      assert.match(error.message, /TypeScript code needs npx/);
      return true;
    });
  });

  test('an unknown language is DaytonaValidationError naming the ones there are', async () => {
    const cobol = await speaking('cobol');

    await assert.rejects(cobol.process.codeRun('DISPLAY "HI".'), (error) => {
      assert.ok(error instanceof DaytonaValidationError, `got ${error?.constructor?.name}: ${error?.message}`);
      assert.match(error.message, /language 'cobol' is not supported: use one of python, javascript, typescript, shell/);
      return true;
    });
  });

  test('a timeout kills the run: DaytonaTimeoutError', async () => {
    await assert.rejects(shared.sandbox.process.codeRun('import time\ntime.sleep(30)', undefined, 1), (error) => {
      assert.ok(error instanceof DaytonaTimeoutError, `got ${error?.constructor?.name}: ${error?.message}`);
      return true;
    });
  });

  test('an image without the interpreter: DaytonaValidationError naming it', async () => {
    const bare = await daytona.create({ image: busybox });
    try {
      await assert.rejects(bare.process.codeRun('print(1)'), (error) => {
        assert.ok(error instanceof DaytonaValidationError, `got ${error?.constructor?.name}: ${error?.message}`);
        assert.match(error.message, /Python code needs python3 or python, and this sandbox's image has none on its PATH/);
        return true;
      });
    } finally {
      await bare.delete();
    }
  });
});

describe('updateEnv', () => {
  test('later commands and code runs see what was set, not what was unset', async () => {
    await shared.sandbox.updateEnv({ FROM_UPDATE: 'yes', GONE: 'soon' });
    await shared.sandbox.updateEnv({}, { unset: ['GONE'] });

    const command = await shared.sandbox.process.executeCommand('echo "[$FROM_UPDATE] [$GONE]"');
    const code = await shared.sandbox.process.codeRun('import os\nprint(os.environ.get("FROM_UPDATE"), os.environ.get("GONE"))');

    assert.equal(command.result, '[yes] []\n');
    assert.equal(code.result, 'yes None\n');
  });
});
