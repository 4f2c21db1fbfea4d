// Run dirs through Redis: chunked, checksummed, deleted after; and Redis URLs never shown with their password.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { InputError } from "../../src/errors.js";
import { maskUrl, parseRedisUrl } from "../../src/queue/connection.js";
import { CHUNK_BYTES, dropShipment, receiveDir, shipDir, TransferError } from "../../src/queue/transfer.js";
import { tinySpec, writeSpec } from "../e2e/cli.js";
import { tempDir } from "../runner/helpers.js";
import type { RedisServer } from "./services.js";
import { noiselabAsync, redisUnavailable, startRedis } from "./services.js";

describe("Redis URLs", () => {
  test("the password is masked in what is shown, and bad URLs are InputErrors without it", () => {
    assert.equal(maskUrl("redis://user:s3cret@host:6379/2"), "redis://user:***@host:6379/2");
    assert.equal(maskUrl("redis://:s3cret@host:6379"), "redis://:***@host:6379");
    assert.equal(parseRedisUrl("redis://:s3cret@host:6379/1").shown, "redis://:***@host:6379/1");
    for (const bad of ["http://:s3cret@host:1", "redis://:s3cret@host:1/x", "not a url s3cret"]) {
      assert.throws(() => parseRedisUrl(bad), (err: Error) => err instanceof InputError && !err.message.includes("s3cret") && err.message.startsWith("--queue"));
    }
  });
});

const unavailable = redisUnavailable();
describe("shipping a run dir through Redis", { skip: unavailable }, () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(() => {
    redis.disconnect();
    server.stop();
  });

  test("files of several chunks, empty files and subdirectories arrive whole; the data is deleted after", async () => {
    const from = tempDir("ship-from");
    mkdirSync(join(from, "sub"));
    const weights = randomBytes(2 * CHUNK_BYTES + 123);
    writeFileSync(join(from, "weights.bin"), weights);
    writeFileSync(join(from, "sub", "empty.txt"), "");
    writeFileSync(join(from, "result.json"), '{"metrics":{}}');
    const shipment = await shipDir(redis, from);
    assert.deepEqual(shipment.files.map((f) => [f.path, f.chunks]), [["result.json", 1], ["sub/empty.txt", 1], ["weights.bin", 3]]);
    const to = tempDir("ship-to");
    await receiveDir(redis, shipment, to);
    assert.ok(readFileSync(join(to, "weights.bin")).equals(weights));
    assert.equal(readFileSync(join(to, "sub", "empty.txt"), "utf8"), "");
    await dropShipment(redis, shipment);
    assert.deepEqual(await redis.keys(`noiselab:result:${shipment.id}:*`), []);
  });

  test("a changed or missing chunk is a TransferError", async () => {
    const from = tempDir("ship-bad");
    writeFileSync(join(from, "weights.bin"), randomBytes(1000));
    const shipment = await shipDir(redis, from);
    await redis.set(`noiselab:result:${shipment.id}:0:0`, randomBytes(1000));
    await assert.rejects(receiveDir(redis, shipment, tempDir("ship-bad-to")), (err: Error) => err instanceof TransferError && /checksum/.test(err.message));
    await redis.del(`noiselab:result:${shipment.id}:0:0`);
    await assert.rejects(receiveDir(redis, shipment, tempDir("ship-gone-to")), (err: Error) => err instanceof TransferError && /gone from Redis/.test(err.message));
  });
});

describe("bad --queue, --slurm and worker arguments", () => {
  test("are refused with one line and exit code 2, before anything is written", async () => {
    const dir = tempDir("queue-args");
    const store = join(dir, "store");
    const spec = writeSpec(dir, tinySpec("args"));
    const cases: [string[], RegExp][] = [
      [["run", spec, "--store", store, "--detach"], /--detach needs --queue or --slurm/],
      [["run", spec, "--store", store, "--gres", "gpu:1"], /--gres needs --slurm/],
      [["run", spec, "--store", store, "--queue", "redis://h:1", "--slurm"], /exclude each other/],
      [["run", spec, "--store", store, "--queue", "redis://h:1", "--processes", "2"], /--processes is for the local pool/],
      [["run", spec, "--store", store, "--queue", "redis://:pw123@127.0.0.1:1"], /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/],
      [["run", spec, "--store", store, "--slurm", "--sbatch-arg=mem"], /--sbatch-arg: "mem" is not one sbatch option/],
      [["worker"], /--queue URL is required/],
      [["worker", "--queue", "redis://:pw123@127.0.0.1:1"], /cannot reach Redis/],
    ];
    for (const [args, message] of cases) {
      const r = await noiselabAsync(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /pw123/);
    }
    assert.equal(existsSync(store), false, "no store was created");
  });
});
