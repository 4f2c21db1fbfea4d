export * from "./sources.js";
export * from "./seeds.js";
