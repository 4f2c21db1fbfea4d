// Worker thread of a DecodePool (stream.ts): decodes batches of image files
// into C×H×W uint8 examples and transfers the pixels back.
import { parentPort } from "node:worker_threads";
import { InputError } from "../errors.js";
import { decodeExamples } from "./image-files.js";
import type { DecodeReply, DecodeRequest } from "./stream.js";

if (!parentPort) throw new Error("decode-worker.js runs as a worker thread of a DecodePool");
const port = parentPort;
port.on("message", (request: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    const pixels = decodeExamples(request.paths, request.format);
    reply = { job: request.job, pixels };
    port.postMessage(reply, [pixels.buffer as ArrayBuffer]);
  } catch (error) {
    reply = { job: request.job, error: error instanceof Error ? error.message : String(error), inputError: error instanceof InputError };
    port.postMessage(reply);
  }
});
