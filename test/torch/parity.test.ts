// Forward and backward parity with PyTorch on fixed inputs; the references
// come from scripts/make_torch_fixtures.py run on Debian's python3-torch.
import { describe, test } from "node:test";
import { F, tidy } from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { SGD, Adam, AdamW } from "../../src/optim/index.js";
import type { Optimizer } from "../../src/optim/index.js";
import type { TensorFixture } from "../helpers.js";
import { assertClose, fromFixture, readJsonFixture } from "../helpers.js";

type Case = Record<string, unknown>;
const { cases } = readJsonFixture<{ cases: Record<string, Case> }>("torch/parity.json");

/** Backpropagates sum(output × upstream), as the fixture script does. */
function backwardWith(output: Tensor, upstream: unknown): void {
  output.mul(fromFixture(upstream)).sum().backward();
}

describe("parity with PyTorch (rtol 1e-5)", () => {
  /**
   * A layer with input, weight and bias: its output, then the gradients of
   * sum(output × upstream) for all three, against the fixture. `forward` may
   * check more (batch norm's running statistics).
   */
  function checkLayer(c: Case, forward: (x: Tensor, w: Tensor, b: Tensor) => Tensor): void {
    tidy(() => {
      const x = fromFixture(c.input, { requiresGrad: true });
      const w = fromFixture(c.weight, { requiresGrad: true });
      const b = fromFixture(c.bias, { requiresGrad: true });
      const out = forward(x, w, b);
      assertClose(out, c.output, 1e-5, 1e-6, "output");
      backwardWith(out, c.upstream);
      assertClose(x.grad!, c.gradInput, 1e-5, 1e-6, "grad input");
      assertClose(w.grad!, c.gradWeight, 1e-5, 1e-6, "grad weight");
      assertClose(b.grad!, c.gradBias, 1e-5, 1e-6, "grad bias");
    });
  }

  for (const name of Object.keys(cases).filter((n) => n.startsWith("conv2d"))) {
    test(name, () => checkLayer(cases[name], (x, w, b) => F.conv2d(x, w, b, cases[name].options as F.Conv2dOptions)));
  }

  for (const name of ["batch_norm_train", "batch_norm_eval"]) {
    test(name, () => {
      const c = cases[name];
      checkLayer(c, (x, w, b) => {
        const runningMean = fromFixture(c.runningMean);
        const runningVar = fromFixture(c.runningVar);
        const out = F.batchNorm(x, runningMean, runningVar, { weight: w, bias: b, training: c.training as boolean, momentum: 0.1, eps: 1e-5 });
        assertClose(runningMean, c.runningMeanAfter, 1e-5, 1e-6, "running mean");
        assertClose(runningVar, c.runningVarAfter, 1e-5, 1e-6, "running var");
        return out;
      });
    });
  }

  test("linear", () => checkLayer(cases.linear, (x, w, b) => F.linear(x, w, b)));

  for (const name of ["cross_entropy_ls0", "cross_entropy_ls0.1"]) {
    test(name, () =>
      tidy(() => {
        const c = cases[name];
        const logits = fromFixture(c.logits, { requiresGrad: true });
        const loss = F.crossEntropy(logits, fromFixture(c.target), { labelSmoothing: c.labelSmoothing as number });
        assertClose(loss, c.loss, 1e-5, 1e-6, "loss");
        loss.backward();
        assertClose(logits.grad!, c.gradLogits, 1e-5, 1e-6, "grad logits");
      }),
    );
  }

  test("binary_cross_entropy_with_logits", () =>
    tidy(() => {
      const c = cases.binary_cross_entropy_with_logits;
      const logits = fromFixture(c.logits, { requiresGrad: true });
      const loss = F.binaryCrossEntropyWithLogits(logits, fromFixture(c.target));
      assertClose(loss, c.loss, 1e-5, 1e-6, "loss");
      loss.backward();
      assertClose(logits.grad!, c.gradLogits, 1e-5, 1e-6, "grad logits");
    }),
  );

  const makers: Record<string, (p: Tensor[], o: Record<string, unknown>) => Optimizer> = {
    optim_sgd_momentum_nesterov_wd: (p, o) => new SGD(p, o as unknown as ConstructorParameters<typeof SGD>[1]),
    optim_sgd_momentum_dampening: (p, o) => new SGD(p, o as unknown as ConstructorParameters<typeof SGD>[1]),
    optim_adam: (p, o) => new Adam(p, o),
    optim_adamw: (p, o) => new AdamW(p, o),
  };
  for (const [name, make] of Object.entries(makers)) {
    test(`${name}: five steps`, () =>
      tidy(() => {
        const c = cases[name];
        const param = fromFixture(c.start, { requiresGrad: true });
        const optimizer = make([param], c.options as Record<string, unknown>);
        for (const g of c.grads as TensorFixture[]) {
          param.grad = fromFixture(g);
          optimizer.step();
        }
        assertClose(param, c.after, 1e-5, 1e-6, "parameter");
        optimizer.dispose();
      }),
    );
  }
});
