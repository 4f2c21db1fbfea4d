import type { Tensor } from "../torch/index.js";
import { keep, noGrad, tidy } from "../torch/index.js";

/** Called with each module's output; used by `noiselab check` to hash activations. */
export type ForwardHook = (module: Module, output: Tensor) => void;

/**
 * Base class of layers and models, like `torch.nn.Module`. Subclasses register
 * parameters, buffers and children in the constructor and implement `forward`;
 * callers use `call`, which also runs forward hooks. Names follow PyTorch's, so
 * a state dict matches torchvision's (`layer1.0.conv1.weight`).
 */
export abstract class Module {
  training = true;
  readonly #parameters = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();
  readonly #hooks: ForwardHook[] = [];

  abstract forward(input: Tensor): Tensor;

  /**
   * Runs `forward` and the hooks in a scope of their own: intermediates the
   * module made and did not return are freed when it returns (autograd keeps
   * what backward needs), as Python's reference counting frees a PyTorch
   * module's locals. Without it they would live until the step's scope ends,
   * through the whole backward pass.
   */
  call(input: Tensor): Tensor {
    return tidy(() => {
      const output = this.forward(input);
      for (const hook of this.#hooks) hook(this, output);
      return output;
    });
  }

  /** Adds a hook; returns a function that removes it. */
  registerForwardHook(hook: ForwardHook): () => void {
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  protected registerParameter(name: string, tensor: Tensor): Tensor {
    keep(tensor).requiresGrad_(true);
    this.#parameters.set(name, tensor);
    return tensor;
  }

  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    this.#buffers.set(name, keep(tensor));
    return tensor;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** This module and every descendant, with dotted names ("" for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const result: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.#children) result.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return result;
  }

  namedParameters(): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, m]) => [...m.#parameters].map(([n, t]) => [prefix ? `${prefix}.${n}` : n, t] as [string, Tensor]));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, m]) => [...m.#buffers].map(([n, t]) => [prefix ? `${prefix}.${n}` : n, t] as [string, Tensor]));
  }

  /** Parameters and buffers in PyTorch's state_dict order: each module's own parameters, then its buffers, then its children. */
  stateDict(): Map<string, Tensor> {
    const entries = this.namedModules().flatMap(([prefix, m]) =>
      [...m.#parameters, ...m.#buffers].map(([n, t]) => [prefix ? `${prefix}.${n}` : n, t] as [string, Tensor]),
    );
    return new Map(entries);
  }

  /** Copies values into this module's tensors. With `strict`, missing or unexpected names are an error. */
  loadStateDict(state: Map<string, Tensor>, strict = true): void {
    const own = this.stateDict();
    if (strict) {
      const missing = [...own.keys()].filter((k) => !state.has(k));
      const unexpected = [...state.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new Error(`state dict mismatch: missing [${missing.join(", ")}], unexpected [${unexpected.join(", ")}]`);
      }
    }
    noGrad(() => {
      for (const [name, target] of own) {
        const source = state.get(name);
        if (source === undefined) continue;
        if (source.shape.join() !== target.shape.join()) {
          throw new Error(`state dict: ${name} has shape [${source.shape.join(", ")}], the module expects [${target.shape.join(", ")}]`);
        }
        target.copy_(source);
      }
    });
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Moves every parameter and buffer to `device` in place (the tensor objects keep their identity). */
  to(device: string): this {
    for (const [, t] of this.stateDict()) {
      if (t.device === device) continue;
      const requiresGrad = t.requiresGrad;
      t.takeFrom(keep(noGrad(() => t.to({ device }))));
      if (requiresGrad) t.requiresGrad_(true);
    }
    return this;
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }

  /** Total number of trainable parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.numel, 0);
  }
}
