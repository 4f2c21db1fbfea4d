import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../../src/errors.js";
import { defaultParallelism, resolveParallelism } from "../../src/runner/parallelism.js";

describe("defaultParallelism", () => {
  it("runs one single-threaded process per core", () => {
    assert.deepEqual(defaultParallelism(8), { processes: 8, threadsPerProcess: 1 });
    assert.deepEqual(defaultParallelism(1), { processes: 1, threadsPerProcess: 1 });
  });

  it("gives spare cores to the runs as threads when runs are fewer than cores", () => {
    assert.deepEqual(defaultParallelism(8, 2), { processes: 2, threadsPerProcess: 4 });
    assert.deepEqual(defaultParallelism(8, 3), { processes: 3, threadsPerProcess: 2 });
    assert.deepEqual(defaultParallelism(8, 0), { processes: 1, threadsPerProcess: 8 });
  });
});

describe("resolveParallelism", () => {
  it("fills in threads from the chosen number of processes", () => {
    assert.deepEqual(resolveParallelism({ processes: 2 }, 100, 8), { processes: 2, threadsPerProcess: 4 });
    assert.deepEqual(resolveParallelism({ processes: 16 }, 100, 8), { processes: 16, threadsPerProcess: 1 });
    assert.deepEqual(resolveParallelism({ threadsPerProcess: 3 }, 100, 8), { processes: 8, threadsPerProcess: 3 });
    assert.deepEqual(resolveParallelism({}, 100, 8), { processes: 8, threadsPerProcess: 1 });
  });

  it("rejects a count that is not a positive integer, naming the option", () => {
    assert.throws(() => resolveParallelism({ processes: 0 }, 1, 8), (err: Error) => err instanceof InputError && /processes/.test(err.message));
    assert.throws(() => resolveParallelism({ threadsPerProcess: 1.5 }, 1, 8), (err: Error) => err instanceof InputError && /threadsPerProcess/.test(err.message));
  });
});
