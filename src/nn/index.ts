export { Module } from "./module.js";
export type { ForwardHook } from "./module.js";
export * from "./layers.js";
export * as init from "./init.js";
