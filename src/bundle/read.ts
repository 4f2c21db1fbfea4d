// Reads a bundle member by member, checking each against the manifest (size, sha256) as it streams by.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { extract } from "tar-stream";
import { InputError } from "../errors.js";
import type { Manifest, ManifestMember } from "./format.js";
import { MANIFEST_MEMBER, MAX_JSON_BYTES, manifestProblem } from "./format.js";

export interface ReadOptions {
  /** Members to keep in memory (small JSON files), by name. */
  keep?: (name: string) => boolean;
  /** The file to write member `name` to, or undefined to only check it. */
  target?: (name: string) => string | undefined;
  /** The manifest an earlier pass read: the bundle must still have exactly this one. */
  expectManifest?: string;
}

export interface BundleContents {
  manifest: Manifest;
  /** Text of the manifest member, for a later pass's `expectManifest`. */
  manifestText: string;
  /** The kept members' contents, checked against the manifest. */
  kept: Map<string, Buffer>;
}

/**
 * Streams through the bundle `file` once. Every member must be listed in the manifest with its
 * size and sha256, and every listed member must be there; a member written to its `target` is
 * written whole before its hash is known, so a caller that writes must discard its targets when
 * this throws. Throws an InputError naming the bundle and the bad member.
 */
export async function readBundle(file: string, options: ReadOptions = {}): Promise<BundleContents> {
  const fail = (what: string): never => {
    throw new InputError(`bundle ${file}: ${what}`);
  };
  const reader = extract();
  const source = createReadStream(file);
  source.on("error", (err) => reader.destroy(err));
  source.pipe(reader);
  let manifest: Manifest | undefined;
  let manifestText = "";
  const listed = new Map<string, ManifestMember>();
  const seen = new Set<string>();
  const kept = new Map<string, Buffer>();
  try {
    for await (const entry of reader) {
      const { name, type, size } = entry.header;
      if (type !== "file") fail(`member ${name} is a ${type}, not a file`);
      if (manifest === undefined) {
        if (name !== MANIFEST_MEMBER) fail(`its first member is ${name}, not ${MANIFEST_MEMBER}: not a noiselab bundle`);
        manifestText = (await readAll(entry as AsyncIterable<Buffer>, MAX_JSON_BYTES, () => fail(`${MANIFEST_MEMBER} is too large`))).toString("utf8");
        manifest = parseManifest(manifestText, fail);
        if (options.expectManifest !== undefined && manifestText !== options.expectManifest) fail(`${MANIFEST_MEMBER} changed while it was being imported`);
        for (const m of manifest.members) listed.set(m.name, m);
        continue;
      }
      const expected = listed.get(name) ?? fail(`member ${name} is not in ${MANIFEST_MEMBER}`);
      if (seen.has(name)) fail(`member ${name} appears twice`);
      seen.add(name);
      if (size !== expected.size) fail(`member ${name} has ${size} bytes, ${expected.size} in ${MANIFEST_MEMBER}`);
      const keep = options.keep?.(name) === true;
      if (keep && expected.size > MAX_JSON_BYTES) fail(`member ${name} is too large`);
      const target = options.target?.(name);
      const hash = createHash("sha256");
      const chunks: Buffer[] = [];
      let bytes = 0;
      const fd = target === undefined ? undefined : openTarget(target);
      try {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          hash.update(chunk);
          bytes += chunk.length;
          if (keep) chunks.push(chunk);
          if (fd !== undefined) writeTarget(fd, target!, chunk);
        }
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (bytes !== expected.size) fail(`member ${name} is truncated (${bytes} of ${expected.size} bytes)`);
      if (hash.digest("hex") !== expected.sha256) fail(`member ${name} does not match its sha256 in ${MANIFEST_MEMBER} (damaged or edited)`);
      if (keep) kept.set(name, Buffer.concat(chunks));
    }
  } catch (err) {
    source.destroy();
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") fail(`cannot read it (${code})`);
    fail(`damaged or truncated, or not a tar file (${(err as Error).message})`);
  }
  if (manifest === undefined) return fail(`it is empty: not a noiselab bundle`);
  for (const name of listed.keys()) if (!seen.has(name)) fail(`member ${name}, listed in ${MANIFEST_MEMBER}, is missing (truncated?)`);
  return { manifest, manifestText, kept };
}

function parseManifest(text: string, fail: (what: string) => never): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`${MANIFEST_MEMBER} is not JSON (${(err as Error).message})`);
  }
  const problem = manifestProblem(value);
  if (problem !== undefined) fail(`${MANIFEST_MEMBER} ${problem}`);
  return value as Manifest;
}

async function readAll(stream: AsyncIterable<Buffer>, limit: number, tooLarge: () => never): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    if (bytes > limit) tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function openTarget(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, "wx");
  } catch (err) {
    throw new InputError(`${path}: cannot write (${(err as Error).message})`);
  }
}

function writeTarget(fd: number, path: string, chunk: Buffer): void {
  try {
    writeSync(fd, chunk);
  } catch (err) {
    throw new InputError(`${path}: cannot write (${(err as Error).message})`);
  }
}
