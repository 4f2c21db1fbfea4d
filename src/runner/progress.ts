/** State of an executor's batch, sent to `onProgress` whenever it changes. */
export interface ProgressSnapshot {
  /** Distinct runs in the batch, skipped ones included. */
  total: number;
  /** Already done in the store before the batch started. */
  skipped: number;
  done: number;
  failed: number;
  /** Waiting for a free process. */
  queued: number;
  processes: number;
  /** Epoch milliseconds when the batch started. */
  startedAtMs: number;
  running: RunningUnit[];
  /** Wall seconds of the runs that completed in this batch, for the ETA. */
  completedSeconds: number[];
}

export interface RunningUnit {
  key: string;
  label: string;
  startedAtMs: number;
  /** Last fraction the worker reported, in [0, 1]; null until it reports one. */
  fraction: number | null;
}

export interface EtaInput {
  /** Wall seconds of completed runs. */
  completedSeconds: readonly number[];
  running: readonly { elapsedSeconds: number; fraction: number | null }[];
  queued: number;
  processes: number;
}

/** Below this reported fraction, extrapolating elapsed/fraction is mostly start-up noise. */
const MIN_FRACTION_TO_EXTRAPOLATE = 0.05;

/**
 * Seconds until every run of the batch is finished, or null when nothing yet says how
 * long a run takes.
 *
 * A run's expected duration is the mean of the completed runs; before any completes, the
 * mean of the in-flight runs' extrapolations (elapsed / fraction). An in-flight run that
 * reported a fraction has elapsed * (1 - f) / f left, otherwise the expected duration
 * minus its elapsed time. Queued runs are then dealt to whichever of the `processes`
 * slots frees up first, which is how the pool schedules them.
 */
export function estimateRemainingSeconds(input: EtaInput): number | null {
  const { completedSeconds, running, queued } = input;
  const processes = Math.max(1, input.processes);
  const extrapolated = running
    .filter((r) => r.fraction !== null && r.fraction >= MIN_FRACTION_TO_EXTRAPOLATE)
    .map((r) => r.elapsedSeconds / (r.fraction as number));
  const basis = completedSeconds.length > 0 ? completedSeconds : extrapolated;
  const expected = basis.length > 0 ? basis.reduce((a, b) => a + b, 0) / basis.length : null;

  const slots: number[] = [];
  for (const r of running) {
    if (r.fraction !== null && r.fraction >= MIN_FRACTION_TO_EXTRAPOLATE) {
      slots.push((r.elapsedSeconds * (1 - r.fraction)) / r.fraction);
    } else if (expected !== null) {
      slots.push(Math.max(0, expected - r.elapsedSeconds));
    } else {
      return null;
    }
  }
  if (queued > 0 && expected === null) return null;
  while (slots.length < processes) slots.push(0);
  for (let i = 0; i < queued; i++) {
    let earliest = 0;
    for (let s = 1; s < slots.length; s++) if (slots[s] < slots[earliest]) earliest = s;
    slots[earliest] += expected as number;
  }
  return Math.max(0, ...slots);
}

/** "42s", "3:07", "1:02:03". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  if (m > 0) return `${m}:${String(s).padStart(2, "0")}`;
  return `${s}s`;
}

const BAR_WIDTH = 20;

/** One status line for a snapshot taken at `nowMs`, without a newline. */
export function renderProgressLine(snapshot: ProgressSnapshot, nowMs: number): string {
  const finished = snapshot.skipped + snapshot.done + snapshot.failed;
  const runningFraction = snapshot.running.reduce((sum, r) => sum + (r.fraction ?? 0), 0);
  const share = snapshot.total === 0 ? 1 : Math.min(1, (finished + runningFraction) / snapshot.total);
  const filled = Math.round(share * BAR_WIDTH);
  const eta = estimateRemainingSeconds({
    completedSeconds: snapshot.completedSeconds,
    running: snapshot.running.map((r) => ({ elapsedSeconds: (nowMs - r.startedAtMs) / 1000, fraction: r.fraction })),
    queued: snapshot.queued,
    processes: snapshot.processes,
  });
  const parts = [
    `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${finished}/${snapshot.total} runs`,
    ...(snapshot.skipped > 0 ? [`${snapshot.skipped} already done`] : []),
    ...(snapshot.failed > 0 ? [`${snapshot.failed} failed`] : []),
    `${snapshot.running.length} running`,
    `elapsed ${formatDuration((nowMs - snapshot.startedAtMs) / 1000)}`,
    `ETA ${eta === null ? "?" : formatDuration(eta)}`,
  ];
  return parts.join(" | ");
}

export interface ProgressBarOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Without a TTY, print a line at most this often (ms). */
  plainIntervalMs?: number;
  now?: () => number;
}

/**
 * Renders snapshots on stderr: one line redrawn in place on a TTY (and refreshed every
 * second so elapsed time and ETA move), or a plain line every `plainIntervalMs` in logs.
 * Pass `bar.update` as the executor's onProgress and call `finish()` afterwards.
 */
export class ProgressBar {
  private readonly stream: NonNullable<ProgressBarOptions["stream"]>;
  private readonly tty: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private last: ProgressSnapshot | undefined;
  private lastPlainMs = -Infinity;
  private lastDrawMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.plainIntervalMs = options.plainIntervalMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  readonly update = (snapshot: ProgressSnapshot): void => {
    this.last = snapshot;
    if (this.tty) {
      // Workers may report progress every batch; redraw at most 10 times a second.
      if (this.now() - this.lastDrawMs >= 100) this.draw();
      if (!this.timer) {
        this.timer = setInterval(() => this.draw(), 1000);
        this.timer.unref();
      }
    } else if (this.now() - this.lastPlainMs >= this.plainIntervalMs) {
      this.lastPlainMs = this.now();
      this.stream.write(`${renderProgressLine(snapshot, this.now())}\n`);
    }
  };

  /** Print the final state on its own line and stop refreshing. */
  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.last) return;
    const line = renderProgressLine(this.last, this.now());
    this.stream.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  private draw(): void {
    if (!this.last) return;
    this.lastDrawMs = this.now();
    const width = Math.max(20, (this.stream.columns ?? 100) - 1);
    this.stream.write(`\r\x1b[2K${renderProgressLine(this.last, this.now()).slice(0, width)}`);
  }
}
