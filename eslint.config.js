import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "native/build/", "docs/", "runs/", ".carry/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  {
    // The dashboard's browser script (noiselab serve): a classic script with the browser's globals and vega-embed's.
    files: ["src/serve/public/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { document: "readonly", location: "readonly", history: "readonly", fetch: "readonly", EventSource: "readonly", URLSearchParams: "readonly", vegaEmbed: "readonly" },
    },
  },
);
