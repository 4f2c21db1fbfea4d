// CelebA as the paper trains it, end to end through the CLI: one sigmoid
// output per attribute, and the report's Table 5 for the analysed attribute
// by Male/Female × Young/Old.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readCsv } from "../../src/io/csv.js";
import { readNpy } from "../../src/io/npy.js";
import { writeCelebaFixture } from "../data/fixtures.js";
import { listRuns, noiselab, tempDir, writeSpec } from "./cli.js";

/** 40 attributes, as CelebA: Male and Young group the test set, Eyeglasses (column 3) is analysed. */
const ATTRIBUTES = ["Smiling", "Male", "Young", "Eyeglasses", ...Array.from({ length: 36 }, (_, k) => `Attribute_${k + 5}`)];
const ANALYSED = 3;
const positive = (row: number[]): number => (row[ANALYSED] === 1 ? 1 : 0);

interface Metric {
  perReplicate: number[];
  std: number;
  stdRatio: number | null;
}

interface ReportJson {
  groups: {
    variant: string;
    analysis: {
      subgroups: {
        binary: boolean;
        overall: Record<"accuracy" | "fpr" | "fnr", { std: number }>;
        groups: { key: string; count: number; accuracy: Metric; fpr: Metric | null; fnr: Metric | null }[];
      };
    };
  }[];
}

describe("CelebA multi-label training and its sub-group report", () => {
  const dir = tempDir("celeba");
  const data = join(dir, "celeba");
  const fixture = writeCelebaFixture(data, 72, ATTRIBUTES);
  const store = join(dir, "store");
  const spec = {
    name: "celeba-tiny",
    dataset: { kind: "celeba", dir: data, target: "Eyeglasses", imageSize: [16, 16] },
    models: ["smallcnn"],
    variants: ["ALGO"],
    replicates: 3,
    training: { epochs: 3, batchSize: 8, optimizer: { kind: "adam", lr: 1e-3, decayEpochs: [2], gamma: 0.1 } },
  };
  const testRows = fixture.values.filter((_, i) => fixture.partitions[i] === 2);

  test("each run learns all 40 attributes and saves n×40 decisions and probabilities", () => {
    const r = noiselab(["run", writeSpec(dir, spec), "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    const runs = listRuns(store, "celeba-tiny");
    assert.deepEqual(runs.map((run) => run.status), ["done", "done", "done"]);
    assert.equal(new Set(runs.map((run) => run.weightsHash)).size, 3, "ALGO replicates differ");
    for (const run of runs) {
      const runDir = join(store, "runs", run.key);
      const predictions = readNpy(join(runDir, "predictions-e3.npy"));
      const probabilities = readNpy(join(runDir, "probabilities-e3.npy"));
      assert.deepEqual(predictions.shape, [testRows.length, 40]);
      assert.deepEqual(probabilities.shape, [testRows.length, 40]);
      probabilities.data.forEach((p, j) => {
        assert.ok(p >= 0 && p <= 1, `probability ${p}`);
        assert.equal(predictions.data[j], p > 0.5 ? 1 : 0, "a decision is its sigmoid probability > 0.5");
      });
      // The curve's test accuracy is the analysed attribute's.
      const curve = JSON.parse(readFileSync(join(runDir, "curve.json"), "utf8")) as { testAccuracy: number }[];
      const correct = testRows.filter((row, i) => predictions.data[i * 40 + ANALYSED] === positive(row)).length;
      assert.equal(curve.at(-1)!.testAccuracy, correct / testRows.length);
      assert.deepEqual(Array.from(readNpy(join(runDir, "test-labels.npy")).data as Int32Array), testRows.map(positive));
    }
    assert.equal(readdirSync(join(store, "runs")).length, 3);
  });

  test("the report gives accuracy, FPR and FNR std for the analysed attribute per Male/Female × Young/Old sub-group", () => {
    const prefix = join(dir, "report");
    const r = noiselab(["report", "celeba-tiny", "--store", store, "--out", prefix]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as ReportJson;
    const { subgroups } = report.groups[0].analysis;
    assert.equal(subgroups.binary, true);
    for (const metric of ["accuracy", "fpr", "fnr"] as const) assert.ok(Number.isFinite(subgroups.overall[metric].std), `overall ${metric} std`);
    const keys = ["Male=-1 & Young=-1", "Male=-1 & Young=1", "Male=1 & Young=-1", "Male=1 & Young=1"];
    for (const key of keys) {
      const group = subgroups.groups.find((g) => g.key === key);
      assert.ok(group, `group ${key} in ${subgroups.groups.map((g) => g.key).join(", ")}`);
      for (const metric of [group.accuracy, group.fpr, group.fnr]) {
        assert.ok(metric !== null && Number.isFinite(metric.std), `${key}: numeric std`);
        assert.ok(metric.stdRatio !== null && Number.isFinite(metric.stdRatio), `${key}: numeric ratio to the overall std`);
        assert.equal(metric.perReplicate.length, 3);
      }
    }
    const members = groupMembers();
    const group = subgroups.groups.find((g) => g.key === "Male=1 & Young=1")!;
    assert.equal(group.count, members.length);
    assert.deepEqual(group.accuracy.perReplicate, groupAccuracies(ANALYSED));
    const md = readFileSync(`${prefix}.md`, "utf8");
    assert.match(md, /Sub-groups \(paper Table 5\)/);
    assert.match(md, /Positive class: Eyeglasses\./);
  });

  test("report --attribute analyses another attribute from the same runs; an unknown one is an input error", () => {
    const prefix = join(dir, "report-smiling");
    const r = noiselab(["report", "celeba-tiny", "--store", store, "--out", prefix, "--attribute", "Smiling"]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as ReportJson;
    assert.deepEqual(report.groups[0].analysis.subgroups.groups.find((g) => g.key === "Male=1 & Young=1")!.accuracy.perReplicate, groupAccuracies(0));
    assert.match(readFileSync(`${prefix}.md`, "utf8"), /Positive class: Smiling\./);
    const bad = noiselab(["report", "celeba-tiny", "--store", store, "--out", join(dir, "bad"), "--attribute", "Bald"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr.trim(), /^noiselab report: --attribute: no output "Bald" \(outputs: Smiling, Male, Young, Eyeglasses, /);
    assert.ok(!existsSync(join(dir, "bad.md")));
  });

  /** Test examples in the Male=1 & Young=1 group, from the stored test-groups.csv. */
  function groupMembers(): number[] {
    const groupsCsv = readCsv(join(store, "runs", listRuns(store, "celeba-tiny")[0].key, "test-groups.csv"));
    return groupsCsv.rows.map((row, i) => (row[0] === "1" && row[1] === "1" ? i : -1)).filter((i) => i >= 0);
  }

  /** Accuracy of output `k` in the Male=1 & Young=1 group per replicate, recomputed from the stored decisions. */
  function groupAccuracies(k: number): number[] {
    const members = groupMembers();
    return listRuns(store, "celeba-tiny").map((run) => {
      const predictions = readNpy(join(store, "runs", run.key, "predictions-e3.npy")).data;
      return members.filter((i) => predictions[i * 40 + k] === (testRows[i][k] === 1 ? 1 : 0)).length / members.length;
    });
  }
});
