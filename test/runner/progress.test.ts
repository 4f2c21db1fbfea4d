import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { estimateRemainingSeconds, formatDuration, ProgressBar, renderProgressLine } from "../../src/runner/progress.js";
import type { ProgressSnapshot } from "../../src/runner/progress.js";

describe("estimateRemainingSeconds", () => {
  it("is null while nothing says how long a run takes", () => {
    assert.equal(estimateRemainingSeconds({ completedSeconds: [], running: [{ elapsedSeconds: 3, fraction: null }], queued: 0, processes: 2 }), null);
    assert.equal(estimateRemainingSeconds({ completedSeconds: [], running: [], queued: 3, processes: 2 }), null);
    // A fraction this small is start-up noise, not a basis for extrapolation.
    assert.equal(estimateRemainingSeconds({ completedSeconds: [], running: [{ elapsedSeconds: 1, fraction: 0.01 }], queued: 1, processes: 1 }), null);
  });

  it("is 0 when nothing is left", () => {
    assert.equal(estimateRemainingSeconds({ completedSeconds: [5], running: [], queued: 0, processes: 4 }), 0);
  });

  it("deals queued runs of mean duration over the processes", () => {
    assert.equal(estimateRemainingSeconds({ completedSeconds: [10, 20], running: [], queued: 4, processes: 2 }), 30);
    assert.equal(estimateRemainingSeconds({ completedSeconds: [10], running: [], queued: 3, processes: 2 }), 20);
  });

  it("uses a running run's reported fraction, else the mean minus its elapsed time", () => {
    assert.equal(estimateRemainingSeconds({ completedSeconds: [100], running: [{ elapsedSeconds: 10, fraction: 0.5 }], queued: 0, processes: 1 }), 10);
    const input = { completedSeconds: [10], running: [{ elapsedSeconds: 4, fraction: null }], queued: 1, processes: 2 };
    assert.equal(estimateRemainingSeconds(input), 10);
    assert.equal(estimateRemainingSeconds({ ...input, running: [{ elapsedSeconds: 25, fraction: null }], queued: 0 }), 0);
  });

  it("extrapolates from running runs before any run has completed", () => {
    const running = [
      { elapsedSeconds: 5, fraction: 0.25 },
      { elapsedSeconds: 5, fraction: 0.25 },
    ];
    assert.equal(estimateRemainingSeconds({ completedSeconds: [], running, queued: 2, processes: 2 }), 35);
  });
});

describe("formatDuration", () => {
  it("writes seconds, minutes and hours compactly", () => {
    assert.equal(formatDuration(42.4), "42s");
    assert.equal(formatDuration(187), "3:07");
    assert.equal(formatDuration(3723), "1:02:03");
    assert.equal(formatDuration(-1), "0s");
  });
});

const snapshot: ProgressSnapshot = {
  total: 10,
  skipped: 2,
  done: 3,
  failed: 1,
  queued: 2,
  processes: 2,
  startedAtMs: 0,
  running: [
    { key: "a", label: "ALGO/r1", startedAtMs: 60_000, fraction: 0.5 },
    { key: "b", label: "ALGO/r2", startedAtMs: 58_000, fraction: null },
  ],
  completedSeconds: [10, 10, 10],
};

describe("renderProgressLine", () => {
  it("shows counts, failures, running runs, elapsed time and ETA", () => {
    assert.equal(
      renderProgressLine(snapshot, 65_000),
      "[#############.......] 6/10 runs | 2 already done | 1 failed | 2 running | elapsed 1:05 | ETA 15s",
    );
  });

  it("shows an unknown ETA as ?", () => {
    const early = { ...snapshot, skipped: 0, done: 0, failed: 0, completedSeconds: [], running: [{ ...snapshot.running[1] }] };
    assert.match(renderProgressLine(early, 65_000), /0\/10 runs \| 1 running \| elapsed 1:05 \| ETA \?$/);
  });
});

/** Just enough of a stderr for ProgressBar: isTTY, columns and write. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 200,
    write(text: string) {
      writes.push(text);
      return true;
    },
  };
  return { writes, stream: stream as unknown as NodeJS.WritableStream & { isTTY: boolean } };
}

describe("ProgressBar", () => {
  it("prints plain lines at most once per interval without a TTY, and a final line", () => {
    const { writes, stream } = fakeStream(false);
    let now = 65_000;
    const bar = new ProgressBar({ stream, plainIntervalMs: 30_000, now: () => now });
    bar.update(snapshot);
    now += 10_000;
    bar.update(snapshot);
    now += 25_000;
    bar.update({ ...snapshot, done: 4 });
    bar.finish();
    assert.equal(writes.length, 3);
    assert.ok(writes.every((w) => w.endsWith("\n") && !w.includes("\r")));
    assert.match(writes[1], /7\/10 runs/);
  });

  it("redraws one line in place on a TTY and ends it on finish", () => {
    const { writes, stream } = fakeStream(true);
    let now = 65_000;
    const bar = new ProgressBar({ stream, now: () => now });
    bar.update(snapshot);
    now += 50;
    bar.update(snapshot); // within 100 ms: not redrawn
    now += 100;
    bar.update({ ...snapshot, done: 4 });
    bar.finish();
    assert.equal(writes.length, 3);
    assert.ok(writes.every((w) => w.startsWith("\r\x1b[2K")));
    assert.ok(!writes[1].endsWith("\n"));
    assert.ok(writes[2].endsWith("\n"));
  });
});
