export { Optimizer } from "./optimizer.js";
export { SGD } from "./sgd.js";
export type { SGDOptions } from "./sgd.js";
export { Adam, AdamW } from "./adam.js";
export type { AdamOptions } from "./adam.js";
export * from "./schedule.js";
export { GradScaler } from "./grad-scaler.js";
export type { GradScalerOptions } from "./grad-scaler.js";
