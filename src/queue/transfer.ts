import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { Redis } from "ioredis";
import { isRecord } from "../run-unit/unit.js";
import { KEY_PREFIX } from "./connection.js";

/** Bytes per Redis value: well under Redis's 512 MB limit, small enough not to stall the server. */
export const CHUNK_BYTES = 4 * 1024 * 1024;
/** Shipments the coordinator never collected (an attempt that lost its job) expire after this. */
const SHIPMENT_TTL_SECONDS = 7 * 24 * 3600;

export interface ShippedFile {
  /** Path relative to the run dir. */
  path: string;
  size: number;
  sha256: string;
  chunks: number;
}

/** A run dir stored in Redis, chunked: what a worker hands the coordinator in the job's return value. */
export interface Shipment {
  id: string;
  files: ShippedFile[];
}

/** The shipment's data is missing or does not match its checksums. */
export class TransferError extends Error {
  override name = "TransferError";
}

const chunkKey = (id: string, file: number, chunk: number) => `${KEY_PREFIX}:result:${id}:${file}:${chunk}`;

/** Copies every file of `dir` into Redis under a fresh id, each in checksummed chunks. */
export async function shipDir(redis: Redis, dir: string): Promise<Shipment> {
  const id = randomUUID();
  const files: ShippedFile[] = [];
  const paths = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
  for (const [index, path] of paths.entries()) {
    const handle = await open(join(dir, path), "r");
    try {
      const hash = createHash("sha256");
      let size = 0;
      let chunk = 0;
      for (;;) {
        const buffer = Buffer.alloc(CHUNK_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, size);
        if (bytesRead === 0 && chunk > 0) break;
        const data = buffer.subarray(0, bytesRead);
        hash.update(data);
        await redis.set(chunkKey(id, index, chunk), data, "EX", SHIPMENT_TTL_SECONDS);
        size += bytesRead;
        chunk++;
        if (bytesRead < CHUNK_BYTES) break;
      }
      files.push({ path, size, sha256: hash.digest("hex"), chunks: chunk });
    } finally {
      await handle.close();
    }
  }
  return { id, files };
}

/** Writes a shipment's files into `dir`, checking each one's size and SHA-256 (TransferError if either is off). */
export async function receiveDir(redis: Redis, shipment: Shipment, dir: string): Promise<void> {
  for (const [index, file] of shipment.files.entries()) {
    const target = join(dir, file.path);
    if (relative(dir, target).startsWith("..")) throw new TransferError(`file ${file.path} leaves the run directory`);
    mkdirSync(dirname(target), { recursive: true });
    const handle = await open(target, "w");
    const hash = createHash("sha256");
    let size = 0;
    try {
      for (let chunk = 0; chunk < file.chunks; chunk++) {
        const data = await redis.getBuffer(chunkKey(shipment.id, index, chunk));
        if (data === null) throw new TransferError(`chunk ${chunk} of ${file.path} is gone from Redis`);
        hash.update(data);
        await handle.write(data, 0, data.length, size);
        size += data.length;
      }
    } finally {
      await handle.close();
    }
    if (size !== file.size) throw new TransferError(`${file.path}: ${size} bytes arrived, ${file.size} were sent`);
    if (hash.digest("hex") !== file.sha256) throw new TransferError(`${file.path}: checksum mismatch`);
  }
}

/** Deletes a shipment's data from Redis. */
export async function dropShipment(redis: Redis, shipment: Shipment): Promise<void> {
  const keys = shipment.files.flatMap((file, index) => Array.from({ length: file.chunks }, (_, chunk) => chunkKey(shipment.id, index, chunk)));
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** A job's return value as a shipment, or undefined when it is not one. */
export function asShipment(value: unknown): Shipment | undefined {
  if (!isRecord(value) || typeof value.id !== "string" || !Array.isArray(value.files)) return undefined;
  const ok = value.files.every((f) => isRecord(f) && typeof f.path === "string" && typeof f.size === "number" && typeof f.sha256 === "string" && typeof f.chunks === "number");
  return ok ? (value as unknown as Shipment) : undefined;
}
