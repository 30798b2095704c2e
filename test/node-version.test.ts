/**
 * The Node that runs the tests: one package.json's `engines` allows, and, in CI's node-matrix
 * steps (which set SIDESTREAM_EXPECT_NODE to the version they fetched), exactly that one, in the
 * test process and in the worker threads and child processes the tests start the way the
 * executors and the CLI tests do. Without this a matrix step that quietly ran on the machine's
 * own Node (a PATH mix-up, a pool that spawns `node` by name) would still pass.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};

const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);

describe('the Node running the tests', () => {
  it("is one package.json's engines allows", () => {
    // engines is a single lower bound (`>=MAJOR.MINOR`); anything else needs a semver parser.
    const bound = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(bound, `engines.node is ${pkg.engines.node}`).not.toBeNull();
    const [major, minor] = parts(process.version);
    const [wantMajor, wantMinor] = [Number(bound![1]), Number(bound![2])];
    expect(major! > wantMajor || (major === wantMajor && minor! >= wantMinor), process.version).toBe(true);
  });

  it('is the one CI asked for, in the tests, their worker threads and their child processes', async () => {
    const expected = process.env.SIDESTREAM_EXPECT_NODE ?? process.version;
    expect(process.version).toBe(expected);
    const inWorker = await new Promise<string>((resolve, reject) => {
      const worker = new Worker("require('node:worker_threads').parentPort.postMessage(process.version);", {
        eval: true,
      });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(inWorker).toBe(expected);
    const inChild = execFileSync(process.execPath, ['-p', 'process.version'], { encoding: 'utf8' });
    expect(inChild.trim()).toBe(expected);
  });
});
