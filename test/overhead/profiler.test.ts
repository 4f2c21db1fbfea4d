import assert from "node:assert/strict";
import { test } from "node:test";
import * as torch from "../../src/torch/index.js";
import type { OperatorProfile } from "../../src/torch/index.js";

function find(operators: OperatorProfile[], name: string): OperatorProfile | undefined {
  return operators.find((o) => o.name === name);
}

function assertConsistent(operators: OperatorProfile[]): void {
  for (const op of operators) {
    assert.ok(Number.isInteger(op.calls) && op.calls >= 1, `${op.name}: calls ${op.calls}`);
    assert.ok(op.selfMicros >= 0, `${op.name}: self ${op.selfMicros} < 0`);
    assert.ok(op.selfMicros <= op.totalMicros, `${op.name}: self ${op.selfMicros} > total ${op.totalMicros}`);
  }
}

test("counts three matmuls, each with the mm nested inside it", () => {
  const a = torch.randn([8, 8]);
  const b = torch.randn([8, 8]);
  const { operators } = torch.profile(() => torch.tidy(() => void a.matmul(b).matmul(b).matmul(b)));
  assertConsistent(operators);
  const matmul = find(operators, "aten::matmul");
  const mm = find(operators, "aten::mm");
  assert.equal(matmul?.calls, 3);
  assert.equal(mm?.calls, 3);
  // Inclusive time nests: every mm ran inside a matmul.
  assert.ok(matmul!.totalMicros >= mm!.totalMicros);
  a.dispose();
  b.dispose();
});

test("counts the autograd nodes and ops that backward runs", () => {
  const a = torch.randn([8, 8]).requiresGrad_();
  const b = torch.randn([8, 8]);
  const { operators } = torch.profile(() => torch.tidy(() => a.matmul(b).matmul(b).sum().backward()));
  assertConsistent(operators);
  assert.equal(find(operators, "MmBackward0")?.calls, 2);
  assert.equal(find(operators, "SumBackward0")?.calls, 1);
  // Two forward mm, and one in each MmBackward0: only the left operands need a gradient.
  assert.equal(find(operators, "aten::mm")?.calls, 4);
  a.dispose();
  b.dispose();
});

test("a throwing function ends its session; the next session counts only its own ops", () => {
  const a = torch.randn([4, 4]);
  const wrong = torch.randn([3, 3]);
  assert.throws(() =>
    torch.profile(() =>
      torch.tidy(() => {
        a.matmul(a);
        a.matmul(wrong);
      }),
    ),
  );
  // Not left running: a new session starts, and ops between sessions are not counted.
  torch.tidy(() => void a.matmul(a));
  const { operators } = torch.profile(() => torch.tidy(() => void a.add(a)));
  assert.equal(find(operators, "aten::matmul"), undefined);
  assert.equal(find(operators, "aten::add")?.calls, 1);
  a.dispose();
  wrong.dispose();
});

test("start while profiling and stop while not profiling throw, and leave the session as it was", () => {
  assert.throws(() => torch.stopProfiling(), /not profiling/);
  torch.startProfiling();
  try {
    assert.throws(() => torch.startProfiling(), /already profiling/);
    torch.tidy(() => void torch.ones([2]).neg());
  } finally {
    const { operators, kernels } = torch.stopProfiling();
    assert.deepEqual(kernels, [], "no kernels on CPU");
    assert.equal(find(operators, "aten::neg")?.calls, 1);
  }
  assert.throws(() => torch.stopProfiling(), /not profiling/);
});

test("summarizeEvents: nesting per thread gives self time; kernels are totalled apart", () => {
  const host = (name: string, threadId: number, startMicros: number, durationMicros: number): torch.ProfilerEvent => ({ name, device: "cpu", threadId, startMicros, durationMicros });
  const kernel = (name: string, startMicros: number, durationMicros: number): torch.ProfilerEvent => ({ name, device: "cuda", threadId: 0, startMicros, durationMicros });
  const events = [
    // Thread 1, out of order: conv2d [0,10) contains convolution [0,9), which contains mkldnn [1,8);
    // then a sibling add [10,12) that starts exactly when conv2d ends.
    host("aten::mkldnn_convolution", 1, 1, 7),
    host("aten::add", 1, 10, 2),
    host("aten::convolution", 1, 0, 9),
    host("aten::conv2d", 1, 0, 10),
    // Thread 2 (autograd's): an overlapping time range, but no nesting across threads.
    host("aten::add", 2, 3, 4),
    kernel("sgemm_128x64", 2, 5),
    kernel("sgemm_128x64", 9, 3),
  ];
  const { operators, kernels } = torch.summarizeEvents(events);
  const byName = new Map(operators.map((o) => [o.name, o]));
  assert.deepEqual(byName.get("aten::conv2d"), { name: "aten::conv2d", calls: 1, totalMicros: 10, selfMicros: 1 });
  assert.deepEqual(byName.get("aten::convolution"), { name: "aten::convolution", calls: 1, totalMicros: 9, selfMicros: 2 });
  assert.deepEqual(byName.get("aten::mkldnn_convolution"), { name: "aten::mkldnn_convolution", calls: 1, totalMicros: 7, selfMicros: 7 });
  assert.deepEqual(byName.get("aten::add"), { name: "aten::add", calls: 2, totalMicros: 6, selfMicros: 6 });
  assert.equal(operators.length, 4);
  assert.deepEqual(kernels, [{ name: "sgemm_128x64", calls: 2, totalMicros: 8, selfMicros: 8 }]);
});
