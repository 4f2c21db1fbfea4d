/**
 * Streaming of image-file datasets: a pool of worker threads decodes and
 * resizes the examples of each batch while training runs. At most `prefetch`
 * batches are decoded ahead of the one being consumed, so memory is bounded
 * whatever the dataset's size. Batches are delivered in the order they were
 * asked for, and each batch's bytes are its examples in the given order, so
 * what training sees depends only on the batch plan (the seeds), never on
 * which thread finishes first.
 */
import { Worker } from "node:worker_threads";
import { InputError } from "../errors.js";
import type { ImageFileDataset } from "./dataset.js";
import { exampleFormat } from "./image-files.js";
import type { ExampleFormat } from "./image-files.js";

/** A message to a decode worker: one batch. */
export interface DecodeRequest {
  job: number;
  paths: string[];
  format: ExampleFormat;
}

/** A decode worker's answer: the batch's pixels, or why it failed. */
export type DecodeReply = { job: number; pixels: Uint8Array } | { job: number; error: string; inputError: boolean };

interface PendingJob {
  resolve: (pixels: Uint8Array) => void;
  reject: (error: Error) => void;
}

/** The batches of one pass over a dataset, delivered in order. */
export interface BatchStream {
  /** Pixels of the next batch: its examples' C×H×W uint8 bytes, in the batch's order. */
  next(): Promise<Uint8Array>;
}

export class DecodePool {
  readonly threads: number;
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #queue: { request: DecodeRequest; pending: PendingJob }[] = [];
  readonly #pending = new Map<number, PendingJob>();
  #nextJob = 0;
  #failure: Error | null = null;
  #closing = false;

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`DecodePool: threads must be a positive integer, got ${threads}`);
    this.threads = threads;
  }

  /**
   * Streams `batches` (example indices into `ds`) with up to `prefetch`
   * batches decoded ahead (default: two per thread).
   */
  stream(ds: ImageFileDataset, batches: readonly ArrayLike<number>[], prefetch = 2 * this.threads): BatchStream {
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new RangeError(`DecodePool: prefetch must be a positive integer, got ${prefetch}`);
    const format = exampleFormat(ds);
    const started: Promise<Uint8Array>[] = [];
    let delivered = 0;
    const fill = () => {
      while (started.length < batches.length && started.length - delivered < prefetch) {
        const paths = Array.from(batches[started.length], (i) => ds.files[i]);
        const promise = this.#submit(paths, format);
        promise.catch(() => undefined); // observed when delivered; a later batch may fail before an earlier one is asked for
        started.push(promise);
      }
    };
    return {
      next: async () => {
        if (delivered >= batches.length) throw new RangeError(`DecodePool: all ${batches.length} batches were delivered`);
        fill();
        const pixels = await started[delivered];
        delete started[delivered]; // drop the reference, so that only the prefetched batches stay in memory
        delivered++;
        fill();
        return pixels;
      },
    };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    this.#closing = true;
    const workers = this.#workers.splice(0);
    this.#idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  #submit(paths: string[], format: ExampleFormat): Promise<Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<Uint8Array>((resolve, reject) => {
      const request: DecodeRequest = { job: this.#nextJob++, paths, format };
      this.#queue.push({ request, pending: { resolve, reject } });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#workers.length < this.threads ? this.#startWorker() : undefined);
      if (!worker) return;
      const { request, pending } = this.#queue.shift()!;
      this.#pending.set(request.job, pending);
      worker.ref(); // busy: keeps the process alive while a batch is awaited
      worker.postMessage(request);
    }
  }

  #startWorker(): Worker {
    const worker = new Worker(new URL("./decode-worker.js", import.meta.url));
    worker.on("message", (reply: DecodeReply) => {
      const pending = this.#pending.get(reply.job)!;
      this.#pending.delete(reply.job);
      if ("pixels" in reply) pending.resolve(reply.pixels);
      else pending.reject(reply.inputError ? new InputError(reply.error) : new Error(reply.error));
      worker.unref(); // idle: a pool left open never keeps the process alive
      this.#idle.push(worker);
      this.#dispatch();
    });
    worker.on("error", (error) => this.#fail(error));
    worker.on("exit", (code) => {
      if (!this.#closing) this.#fail(new Error(`exited with code ${code}`));
    });
    this.#workers.push(worker);
    return worker;
  }

  /** A worker died: every job in flight or queued fails with its error, and so does every later one. */
  #fail(error: Error): void {
    if (this.#failure) return; // an "error" event is followed by "exit"
    this.#failure = new Error(`image decoding thread failed: ${error.message}`);
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    for (const { pending } of this.#queue.splice(0)) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
