import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/errors.js";
import { defaultProcesses, resolveProcesses } from "../../src/runner/parallelism.js";
import { unitThreads } from "../../src/runner/placement.js";

describe("defaultProcesses", () => {
  it("runs as many processes as the cores hold at the runs' thread count", () => {
    assert.equal(defaultProcesses(1, Infinity, 8), 8);
    assert.equal(defaultProcesses(2, Infinity, 8), 4);
    assert.equal(defaultProcesses(3, Infinity, 8), 2);
    assert.equal(defaultProcesses(1, Infinity, 1), 1);
  });

  it("runs at least one process, and no more than there are runs", () => {
    assert.equal(defaultProcesses(16, Infinity, 8), 1);
    assert.equal(defaultProcesses(1, 2, 8), 2);
    assert.equal(defaultProcesses(1, 0, 8), 1);
  });
});

describe("resolveProcesses", () => {
  it("takes the user's count, else the default", () => {
    assert.equal(resolveProcesses(16, 1, 100, 8), 16);
    assert.equal(resolveProcesses(undefined, 2, 100, 8), 4);
  });

  it("rejects a count that is not a positive integer, naming the option", () => {
    assert.throws(() => resolveProcesses(0, 1, 1, 8), (err: Error) => err instanceof InputError && /processes/.test(err.message));
    assert.throws(() => resolveProcesses(1.5, 1, 1, 8), (err: Error) => err instanceof InputError && /processes/.test(err.message));
  });
});

describe("unitThreads", () => {
  it("reads environment.threads from a unit's config, 1 where there is none", () => {
    assert.equal(unitThreads({ environment: { threads: 3 } }), 3);
    assert.equal(unitThreads({ seed: 1 }), 1);
    assert.equal(unitThreads({ environment: { threads: "2" } }), 1);
    assert.equal(unitThreads(null), 1);
  });
});
