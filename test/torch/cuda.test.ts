// CUDA behaviour of the engine. Skipped where this libtorch has no usable CUDA
// device (CI and the development machines); run on a GPU machine with
// scripts/device-check.sh.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { lockstepCheck } from "../../src/check/lockstep.js";
import { SmallCNN } from "../../src/models/index.js";
import { VARIANTS } from "../../src/noise/index.js";
import * as torch from "../../src/torch/index.js";

const cuda = torch.buildInfo().cudaAvailable;

describe("CUDA", { skip: cuda ? false : "this libtorch has no usable CUDA device" }, () => {
  test("tensors move to the GPU and back unchanged; ops agree with the CPU", () =>
    torch.tidy(() => {
      const x = torch.randn([8, 3, 16, 16], { generator: new torch.Generator(1) });
      const w = torch.randn([4, 3, 3, 3], { generator: new torch.Generator(2) });
      assert.deepEqual(x.to("cuda").cpu().toArray(), x.toArray());
      const gpu = torch.F.conv2d(x.to("cuda"), w.to("cuda"), null, { padding: 1 }).cpu().toArray();
      const cpu = torch.F.conv2d(x, w, null, { padding: 1 }).toArray();
      gpu.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]) <= 1e-4 + 1e-4 * Math.abs(cpu[i]), `element ${i}: ${v} vs ${cpu[i]}`));
    }));

  test("a CUDA generator reproduces its stream", () =>
    torch.tidy(() => {
      const a = torch.randn([16], { generator: new torch.Generator(5, "cuda"), device: "cuda" }).toArray();
      const b = torch.randn([16], { generator: new torch.Generator(5, "cuda"), device: "cuda" }).toArray();
      assert.deepEqual(a, b);
    }));

  test("with the determinism switches on, two SmallCNN replicates train bitwise identically", () => {
    const g = new torch.Generator(3);
    const result = lockstepCheck({
      buildModel: (init, dropout) => new SmallCNN({ numClasses: 10, batchNorm: true, initGenerator: init, dropoutGenerator: dropout }),
      data: { images: torch.keep(torch.randn([256, 1, 28, 28], { generator: g })), labels: torch.keep(torch.randint(0, 10, [256], { generator: g })) },
      steps: 8,
      batchSize: 64,
      noise: VARIANTS.CONTROL,
      determinism: { ...torch.DETERMINISTIC },
      device: "cuda",
    });
    assert.equal(result.deterministic, true, JSON.stringify(result.firstDivergence));
  });

  test("the profiler records the GPU kernels of a convolution's forward and backward, with their GPU time", () =>
    torch.tidy(() => {
      const g = new torch.Generator(4, "cuda");
      const x = torch.randn([16, 3, 32, 32], { generator: g, device: "cuda" });
      const w = torch.randn([8, 3, 3, 3], { generator: g, device: "cuda" }).requiresGrad_();
      torch.synchronize("cuda");
      const { operators, kernels } = torch.profile(
        () => {
          torch.F.conv2d(x, w, null, { padding: 1 }).sum().backward();
          torch.synchronize("cuda");
        },
        { cuda: true },
      );
      assert.ok(operators.some((o) => o.name === "aten::conv2d"), "host operators are recorded");
      assert.ok(kernels.length >= 2, `kernels: ${JSON.stringify(kernels)}`);
      for (const k of kernels) assert.ok(k.calls >= 1 && k.totalMicros > 0 && k.selfMicros === k.totalMicros, JSON.stringify(k));
    }));
});
