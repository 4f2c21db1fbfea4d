/**
 * The ATen operators that `callOp`, `op` and `opInPlace` may call: the ones
 * noiselab uses, by schema name and overload. The generic op call converts
 * arguments by the schema, but it cannot know which kernels trust their
 * inputs, and some of libtorch 1.13's index memory without a bounds check:
 * `searchsorted` with an out-of-range `sorter` reads past the tensor and kills
 * the process. Every operator below rejects bad indices, sizes and shapes with
 * an error (test/torch/misuse.test.ts tries the ones that take indices); add
 * one only after checking that it does too.
 */
export const EXPOSED_OPERATORS: ReadonlySet<string> = new Set([
  // arithmetic and comparison
  "abs", "add.Scalar", "add.Tensor", "div.Scalar", "div.Tensor", "eq.Scalar", "eq.Tensor", "erf", "exp",
  "gt.Scalar", "gt.Tensor", "log", "lt.Scalar", "lt.Tensor", "matmul", "mul.Scalar", "mul.Tensor", "ne.Scalar",
  "ne.Tensor", "neg", "pow.Tensor_Scalar", "pow.Tensor_Tensor", "sqrt", "square", "sub.Scalar", "sub.Tensor",
  "clamp", "where.self",
  // reductions
  "argmax", "max", "max.dim", "mean", "mean.dim", "sum", "sum.dim_IntList",
  // shape, copies and conversion
  "cat", "clone", "contiguous", "detach", "expand", "flatten.using_ints", "flip", "index_select", "narrow",
  "permute", "reshape", "squeeze.dim", "stack", "to.dtype_layout", "transpose.int", "unsqueeze", "view",
  // creation and sampling
  "arange.start_step", "empty.memory_format", "full", "ones", "ones_like", "rand.generator",
  "randint.low_generator", "randn.generator", "randperm.generator", "zeros", "zeros_like",
  // in place
  "add_.Scalar", "add_.Tensor", "addcdiv_", "addcmul_", "bernoulli_.float", "clamp_", "copy_", "div_.Scalar",
  "div_.Tensor", "erfinv_", "fill_.Scalar", "hardtanh_", "lerp_.Scalar", "mul_.Scalar", "mul_.Tensor", "normal_", "put_",
  "relu_", "uniform_", "zero_",
  // torch.nn.functional
  "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy_with_logits", "constant_pad_nd", "conv2d", "cross_entropy_loss",
  "hardtanh", "linear", "log_softmax.int", "max_pool2d", "mse_loss", "reflection_pad2d", "relu",
  "replication_pad2d", "sigmoid", "silu", "softmax.int", "tanh",
]);

/** Throws unless `qualified` ("name.overload", optionally with "aten::") is an exposed operator. */
export function checkExposed(qualified: string): void {
  const name = qualified.startsWith("aten::") ? qualified.slice("aten::".length) : qualified;
  if (!EXPOSED_OPERATORS.has(name)) {
    throw new RangeError(`operator "${qualified}" is not exposed by noiselab (the list and why: src/torch/operators.ts)`);
  }
}
