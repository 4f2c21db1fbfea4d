// Test helpers that take a bundle apart and put it back together, to damage it the ways a disk, a
// network or a person would.
import { readFileSync, writeFileSync } from "node:fs";
import { extract, pack } from "tar-stream";

export interface Member {
  name: string;
  data: Buffer;
}

export async function readMembers(file: string): Promise<Member[]> {
  const reader = extract();
  reader.end(readFileSync(file));
  const members: Member[] = [];
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
    members.push({ name: entry.header.name, data: Buffer.concat(chunks) });
  }
  return members;
}

export async function writeMembers(file: string, members: Member[]): Promise<void> {
  const writer = pack();
  for (const m of members) writer.entry({ name: m.name }, m.data);
  writer.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of writer as AsyncIterable<Buffer>) chunks.push(chunk);
  writeFileSync(file, Buffer.concat(chunks));
}

/** Offset in the tar file of the first byte of member `name`'s data (ustar headers, names under 100 bytes). */
export function dataOffset(tar: Buffer, name: string): number {
  const field = (at: number, from: number, to: number) => tar.toString("utf8", at + from, at + to).replace(/\0[\s\S]*$/, "");
  for (let at = 0; at + 512 <= tar.length; ) {
    const size = parseInt(field(at, 124, 136).trim(), 8);
    if (field(at, 0, 100) === name) return at + 512;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no member ${name}`);
}
