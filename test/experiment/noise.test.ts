import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../src/errors.js";
import { NOISE_SOURCES, VARIANTS, parseVariant, seedFor, seedsForReplicate } from "../../src/noise/index.js";

describe("noise sources and seeds", () => {
  test("seedFor follows the documented formula (values from Python's hashlib)", () => {
    // int.from_bytes(hashlib.sha256(b"noiselab/0/init/0").digest()[:6], "big")
    assert.equal(seedFor(0, "init", 0), 159503124775646);
    assert.equal(seedFor(7, "batchOrder", 3), 96087676123435);
  });

  test("fixed sources share a seed across replicates, free ones do not", () => {
    const impl = VARIANTS.IMPL;
    const r1 = seedsForReplicate(0, impl, 1);
    const r2 = seedsForReplicate(0, impl, 2);
    for (const s of ["init", "shuffle", "augment", "dropout"] as const) assert.equal(r1[s], r2[s], s);
    for (const s of ["kernels", "batchOrder"] as const) assert.notEqual(r1[s], r2[s], s);
    const control = [0, 1, 2].map((r) => seedsForReplicate(0, VARIANTS.CONTROL, r));
    assert.deepEqual(control[1], control[0]);
    assert.deepEqual(control[2], control[0]);
  });

  test("a free source never reuses the fixed stream: replicate 0 of ALGO is not the CONTROL run", () => {
    const control = seedsForReplicate(0, VARIANTS.CONTROL, 0);
    const algo = seedsForReplicate(0, VARIANTS.ALGO, 0);
    for (const s of ["init", "shuffle", "augment", "dropout"] as const) assert.notEqual(algo[s], control[s], s);
    for (const s of ["kernels", "batchOrder"] as const) assert.equal(algo[s], control[s], s);
    assert.equal(algo.init, seedFor(0, "init", 1));
    assert.equal(control.init, seedFor(0, "init", 0));
  });

  test("every source has its own stream", () => {
    const seeds = Object.values(seedsForReplicate(3, VARIANTS["ALGO+IMPL"], 4));
    assert.equal(new Set(seeds).size, NOISE_SOURCES.length);
  });

  test("variants: the paper's four and only:<sources> ablations", () => {
    assert.deepEqual(parseVariant("ALGO"), { init: true, shuffle: true, augment: true, dropout: true, kernels: false, batchOrder: false });
    assert.deepEqual(parseVariant("only:init,batchOrder"), { init: true, shuffle: false, augment: false, dropout: false, kernels: false, batchOrder: true });
    assert.throws(() => parseVariant("only:weights"), (e: Error) => e instanceof InputError && /unknown noise source "weights"/.test(e.message));
    assert.throws(() => parseVariant("SOME"), /unknown variant "SOME"/);
  });
});
