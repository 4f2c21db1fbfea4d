// The renderers on a fabricated CUDA result: what users see for a model that
// libtorch refuses to run deterministically.
import assert from "node:assert/strict";
import { test } from "node:test";
import { determinismConfigs } from "../../src/overhead/configs.js";
import { firstSentence } from "../../src/overhead/document.js";
import { renderOverheadHtml, renderOverheadMarkdown } from "../../src/overhead/render.js";
import type { OverheadResult } from "../../src/overhead/run.js";
import { summariseConfigs } from "../../src/overhead/summary.js";

const ALERT =
  "adaptive_avg_pool2d_backward_cuda does not have a deterministic implementation, but you set 'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for this operation.";

const comparison = (rank: number, name: string, defaultMs: number, deterministicMs: number) => ({
  rank,
  name,
  defaultMs,
  deterministicMs,
  defaultSelfMs: defaultMs,
  deterministicSelfMs: deterministicMs,
  defaultCalls: 2,
  deterministicCalls: 2,
});

/** With `kernels`, resnet50 was profiled with the given kernel rows (empty: a libtorch without Kineto). */
function fabricated(kernels: ReturnType<typeof comparison>[] | null = null): OverheadResult {
  const configs = determinismConfigs(true);
  const refuses = (id: string) => configs.find((c) => c.id === id)!.flags.deterministicAlgorithms === true;
  const timed = (factor: number) => [0.1, 0.11, 0.12].map((t) => t * factor);
  const vgg = summariseConfigs(
    configs,
    configs.map((c) => (refuses(c.id) ? { config: c.id, status: "not-deterministic", message: ALERT, roundSeconds: [] } : { config: c.id, status: "ok", message: null, roundSeconds: timed(1) })),
  );
  const resnet = summariseConfigs(
    configs,
    configs.map((c) => ({ config: c.id, status: "ok", message: null, roundSeconds: timed(c.id === "deterministic" ? 1.07 : 1) })),
  );
  return {
    environment: { device: "cuda", torchVersion: "2.5.0", cudnnVersion: 90100, hasFillUninitializedMemory: true, cpuModel: "CPU", cpuCount: 16, node: "v20", threads: 1, batch: 64, deterministicPooling: false, date: "2025-01-01T00:00:00.000Z" },
    plan: { warmup: 3, repeats: 3, steps: 5, bootstrapResamples: 2000 },
    configs: configs.map((c) => ({ id: c.id, label: c.label, baseline: c.baseline, flags: c.flags })),
    models: [
      { id: "resnet50", kernelSize: null, inputShape: [3, 224, 224], status: "ok", error: null, nondeterministicOp: null, cudaNondeterministicOps: [], alternative: null, configs: resnet, operators: kernels === null ? null : [comparison(1, "aten::conv2d", 2, 2.1)], kernels },
      {
        id: "vgg16",
        kernelSize: null,
        inputShape: [3, 224, 224],
        status: "not-deterministic",
        error: null,
        nondeterministicOp: ALERT,
        cudaNondeterministicOps: ["adaptive_avg_pool2d_backward_cuda"],
        alternative: "build the model with deterministicPooling: true",
        configs: vgg,
        operators: null,
        kernels: null,
      },
      { id: "inception-v3", kernelSize: null, inputShape: [3, 32, 32], status: "error", error: "Given input size: (768x1x1). Calculated output size: (768x-3x-3). Output size is too small", nondeterministicOp: null, cudaNondeterministicOps: [], alternative: null, configs: [], operators: null, kernels: null },
    ],
  };
}

test("firstSentence keeps the part of libtorch's alert that names the op", () => {
  assert.equal(firstSentence(ALERT), "adaptive_avg_pool2d_backward_cuda does not have a deterministic implementation, but you set 'torch.use_deterministic_algorithms(True)'.");
  assert.equal(firstSentence("no full stop"), "no full stop");
});

test("Markdown: ratios, the refused model with the op, the zoo's list and the alternative, and the failed model", () => {
  const md = renderOverheadMarkdown(fabricated());
  const summaryRow = (id: string, input = "3×224×224") => md.split("\n").find((l) => l.startsWith(`| ${id} | ${input} |`))!;
  assert.match(summaryRow("resnet50"), /\| 1\.070 \| 1\.070–1\.070 \|/);
  assert.match(summaryRow("vgg16"), /not deterministic: adaptive\\_avg\\_pool2d\\_backward\\_cuda does not have a deterministic implementation/);
  assert.match(summaryRow("inception-v3", "3×32×32"), /error: Given input size/);
  assert.match(md, /The zoo lists for CUDA: adaptive\\_avg\\_pool2d\\_backward\\_cuda\. Alternative: build the model with deterministicPooling: true\./);
  assert.match(md, /do not call its training deterministic/);
  assert.match(md, /\| vgg16 \| deterministic \(all switches\) \| not deterministic \|/);
  assert.match(md, /\| vgg16 \| cuDNN benchmark off \| 110\.0 \|/);
  assert.match(md, /synchronising the device before each clock read/);
  assert.doesNotMatch(md, /On CPU, libtorch's kernels/);
});

test("HTML: self-contained, with the Figure 9 (b) chart and no URL", async () => {
  const html = await renderOverheadHtml(fabricated());
  assert.match(html, /<figure id="fig9b">/);
  assert.doesNotMatch(html, /<figure id="fig9a">/, "no MediumCNN, no Figure 9 (a)");
  assert.doesNotMatch(html, /<figure id="fig8">/, "no profile, no Figure 8");
  assert.doesNotMatch(html, /https?:|<script/);
  assert.match(html, /use_deterministic_algorithms\(True\)&#39;/, "libtorch's message is escaped");
});

test("profiled on CUDA: the kernel table and a kernel Figure 8, or a note where libtorch recorded no kernels", async () => {
  const kernels = [comparison(1, "sm90_xmma_fprop_implicit_gemm", 1.5, 1.6), comparison(2, "wgrad_alg0_engine", 0, 0.9)];
  const md = renderOverheadMarkdown(fabricated(kernels));
  assert.match(md, /## Top 1 operators: resnet50/);
  assert.match(md, /## Top 2 CUDA kernels: resnet50/);
  assert.match(md, /\| 2 \| wgrad\\_alg0\\_engine \| 0\.000 \| 0\.900 \| — \| 2 \| 2 \|/);
  const html = await renderOverheadHtml(fabricated(kernels));
  assert.match(html, /<figure id="fig8">/);
  assert.match(html, /Top-20 CUDA kernels by time per step/);
  const withoutKineto = renderOverheadMarkdown(fabricated([]));
  assert.doesNotMatch(withoutKineto, /CUDA kernels: resnet50/);
  assert.match(withoutKineto, /No CUDA kernels were recorded for resnet50: this libtorch's profiler has no Kineto\/CUPTI/);
});
