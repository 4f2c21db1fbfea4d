// The Python package's own tests (python/tests, unittest), under Debian's python3-torch.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch, numpy"]).status === 0;

test("python/tests pass", { skip: hasTorch ? false : `${PYTHON} cannot import torch and numpy (Debian: python3-torch)` }, () => {
  const r = spawnSync(PYTHON, ["-m", "unittest", "discover", "-s", "tests", "-t", "."], { cwd: "python", encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^OK$/m);
});
