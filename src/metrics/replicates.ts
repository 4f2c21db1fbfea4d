import { InputError } from "../errors.js";

/**
 * The predictions of N replicate models on the same n test examples.
 *
 * `predictions[r][x]` is replicate r's top-1 class for example x. When the
 * models' class scores are known, `scores[r]` holds them row-major as
 * n × numClasses (logits or probabilities: only their order matters), and
 * `predictions` is their argmax.
 */
export interface ReplicateSet {
  labels: Int32Array;
  predictions: Int32Array[];
  scores?: ArrayLike<number>[];
  numClasses: number;
}

/** Names used in error messages: the files the data came from, when there are files. */
export interface SourceNames {
  labels: string;
  replicates: string[];
}

function defaultNames(count: number): SourceNames {
  return { labels: "labels", replicates: Array.from({ length: count }, (_, r) => `replicate ${r}`) };
}

/**
 * A multi-label run's predictions (n×K 0/1) and probabilities (n×K) as the
 * binary task of output `k`: its decisions, and the two-class scores [1 − p, p].
 */
export function binaryTaskOf(predictions: Int32Array, probabilities: Float32Array, outputs: number, k: number): { predictions: Int32Array; scores: Float32Array } {
  const n = predictions.length / outputs;
  const scores = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    scores[2 * i] = 1 - probabilities[i * outputs + k];
    scores[2 * i + 1] = probabilities[i * outputs + k];
  }
  return { predictions: Int32Array.from({ length: n }, (_, i) => predictions[i * outputs + k]), scores };
}

/**
 * Argmax of each row of an n × numClasses score matrix.
 * Ties go to the smallest class index (NumPy's `argmax` convention).
 */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(scores.length / numClasses);
  const out = new Int32Array(n);
  for (let x = 0; x < n; x++) {
    const row = x * numClasses;
    let best = 0;
    let bestScore = scores[row];
    for (let c = 1; c < numClasses; c++) {
      const s = scores[row + c];
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    out[x] = best;
  }
  return out;
}

/** Builds a replicate set from class scores, checking them first (NaN scores are an InputError). */
export function replicatesFromScores(
  labels: Int32Array,
  scores: ArrayLike<number>[],
  numClasses: number,
  names: SourceNames = defaultNames(scores.length),
): ReplicateSet {
  scores.forEach((s, r) => {
    if (s.length !== labels.length * numClasses) {
      throw new InputError(`${names.replicates[r]}: ${s.length / numClasses} score rows, but ${names.labels} has ${labels.length} labels`);
    }
    for (let i = 0; i < s.length; i++) {
      if (Number.isNaN(s[i])) {
        throw new InputError(`${names.replicates[r]}: NaN score at example ${Math.floor(i / numClasses)}, class ${i % numClasses}`);
      }
    }
  });
  const set: ReplicateSet = { labels, predictions: scores.map((s) => argmaxRows(s, numClasses)), scores, numClasses };
  validateReplicateSet(set, names);
  return set;
}

/**
 * Checks that every replicate covers the same examples as the labels, that
 * labels and predictions are classes in [0, numClasses), and that there are
 * at least two replicates (churn and every std across replicates is
 * undefined for one).
 */
export function validateReplicateSet(set: ReplicateSet, names: SourceNames = defaultNames(set.predictions.length)): void {
  const n = set.labels.length;
  const { numClasses } = set;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new InputError(`number of classes must be a positive integer, got ${numClasses}`);
  if (n === 0) throw new InputError(`${names.labels}: no examples`);
  checkClasses(set.labels, numClasses, names.labels, "label");
  if (set.predictions.length < 2) {
    throw new InputError(
      `${names.replicates[0] ?? "predictions"}: only ${set.predictions.length} replicate; churn and stds across replicates need at least 2`,
    );
  }
  set.predictions.forEach((p, r) => {
    if (p.length !== n) throw new InputError(`${names.replicates[r]}: ${p.length} predictions, but ${names.labels} has ${n} labels`);
    checkClasses(p, numClasses, names.replicates[r], "prediction");
  });
}

function checkClasses(values: Int32Array, numClasses: number, name: string, what: string): void {
  for (let x = 0; x < values.length; x++) {
    const v = values[x];
    if (v < 0 || v >= numClasses) {
      throw new InputError(`${name}: ${what} ${v} at example ${x} is out of range [0, ${numClasses})`);
    }
  }
}
