// noiselab serve in a real browser (Debian's chromium, driven by playwright-core) against a real
// server (the CLI) on a real store (a tiny experiment trained in the test's setup). Each page is
// screenshotted: into $NOISELAB_SCREENSHOTS when set (docs/screenshots regenerates the docs'
// pictures), else into a temporary directory.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import { listRuns, noiselab, startNoiselab, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";
import type { PlannedRun } from "../../src/experiment/plan.js";
import { BIN } from "../e2e/cli.js";
import { writeSyntheticExperiment } from "./synthetic-store.js";

const CHROMIUM = "/usr/bin/chromium";

/** Text nodes directly in the page's content: there should be none (each section is an element). */
const STRAY_TEXT = `[...document.getElementById("content").childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("")`;

/** Starts `noiselab serve` and resolves with its URL once it listens. */
function startServe(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
      const m = /(http:\/\/\S+?)\/ /.exec(stdout);
      if (m) resolve({ child, url: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`noiselab serve exited with ${code}: ${stderr}`)));
  });
}

describe("noiselab serve in a browser", { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (scripts/setup.sh installs it)` }, () => {
  const dir = tempDir("serve-browser");
  const store = join(dir, "store");
  const shots = process.env.NOISELAB_SCREENSHOTS ?? join(dir, "screenshots");
  let serve: { child: ChildProcess; url: string };
  let browser: Browser;
  let broken: PlannedRun[];
  /** Console errors and uncaught exceptions of every page, by page. */
  const errors: string[] = [];

  before(async () => {
    mkdirSync(shots, { recursive: true });
    const spec = writeSpec(dir, tinySpec("tiny", {
        dataset: { kind: "synthetic", trainSize: 128, testSize: 160, imageSize: [1, 12, 12], numClasses: 4, noise: 2 },
        variants: ["ALGO+IMPL", "CONTROL"],
        replicates: 3,
        training: { epochs: 2, batchSize: 32 },
      }));
    const trained = noiselab(["run", spec, "--store", store, "--processes", "2", "--threads", "1"]);
    assert.equal(trained.status, 0, trained.stderr);
    // A failed run, recorded through the store's API as the runner records one.
    broken = writeSyntheticExperiment(store, { name: "with-failure", variants: ["CONTROL"], replicates: 2, testSize: 20, numClasses: 4, failures: [1] });
    const check = noiselab(["check", "smallcnn", "--steps", "4", "--batch", "8", "--perturb-ulp", "--trajectory", "--out", join(dir, "check.json")]);
    assert.equal(check.status, 1, check.stderr);
    serve = await startServe(["--store", store, "--check", join(dir, "check.json")]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });

  after(async () => {
    await browser?.close();
    serve?.child.kill("SIGINT");
  });

  async function open(path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`${path}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`${path}: ${e.message}`));
    await page.goto(`${serve.url}${path}`);
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const png = PNG.sync.read(readFileSync(file));
    assert.ok(png.width >= 1280 && png.height >= 300, `${name}.png is ${png.width}×${png.height}`);
  }

  test("the experiment list shows each experiment's runs by state", async () => {
    const page = await open("/");
    const row = page.locator('tr[data-experiment="tiny"]');
    await row.waitFor();
    assert.deepEqual(await row.locator("td.num").allTextContents(), ["6", "6", "0", "0", "0"]);
    assert.deepEqual(await page.locator('tr[data-experiment="with-failure"] td.num').allTextContents(), ["2", "1", "0", "1", "0"]);
    await page.locator("#live.on").waitFor();
    await screenshot(page, "experiments");
    await page.context().close();
  });

  test("the list updates live while noiselab run completes runs, without a reload", { timeout: 120_000 }, async () => {
    const page = await open("/");
    await page.locator('tr[data-experiment="tiny"]').waitFor();
    await page.evaluate("window.marker = 42");
    assert.equal(await page.locator('tr[data-experiment="live"]').count(), 0);
    const spec = writeSpec(dir, tinySpec("live", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 } }), "live.json");
    const run = startNoiselab(["run", spec, "--store", store, "--processes", "1", "--threads", "1"]);
    const exited = new Promise<number | null>((resolve) => run.on("exit", resolve));
    // The experiment appears (queued or running), then its runs turn done one by one.
    await page.locator('tr[data-experiment="live"]').waitFor({ timeout: 60_000 });
    await page.waitForFunction(`document.querySelector('tr[data-experiment="live"] td.done')?.textContent === "2"`, undefined, { timeout: 90_000 });
    assert.equal(await exited, 0);
    assert.equal(await page.evaluate("window.marker"), 42, "the page was not reloaded");
    assert.equal(listRuns(store, "live").length, 2);
    await page.context().close();
  });

  test("an experiment: the report's tables and every chart render as SVG, with no console error; variants filter", { timeout: 60_000 }, async () => {
    const page = await open("/experiments/tiny");
    await page.locator("#runs").waitFor();
    const ids = await page.locator("figure[data-chart]").evaluateAll((figures) => figures.map((f) => f.getAttribute("data-chart")));
    assert.ok(ids.includes("fig2") && ids.includes("curves") && ids.includes("disagreement"), ids.join(", "));
    await page.waitForFunction(`[...document.querySelectorAll("figure[data-chart] .chart")].every((c) => c.getAttribute("data-rendered") === "true")`);
    for (const id of ids) {
      const marks = await page.locator(`figure[data-chart="${id}"] .chart svg .mark-rect path, figure[data-chart="${id}"] .chart svg .mark-line path, figure[data-chart="${id}"] .chart svg .mark-symbol path`).count();
      assert.ok(marks > 0, `chart ${id} has no marks`);
    }
    assert.ok((await page.locator("table").first().textContent())!.includes("smallcnn"));
    assert.match((await page.locator("main").textContent())!, /Stability per model and variant/);
    await screenshot(page, "experiment");
    // Filter: only ALGO+IMPL.
    await page.locator('fieldset[data-filter="variant"] input[value="CONTROL"]').uncheck();
    await page.waitForURL(/variant=ALGO%2BIMPL/);
    await page.waitForFunction(`document.querySelectorAll("#runs tbody tr").length === 3`);
    assert.ok((await page.locator("#runs tbody").textContent())!.includes("ALGO+IMPL"));
    assert.ok(!(await page.locator("#runs tbody").textContent())!.includes("CONTROL"));
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test("a chart downloads as SVG and as PNG", async () => {
    const page = await open("/experiments/tiny");
    const link = page.locator('figure[data-chart="fig2"] a.download-svg');
    await link.waitFor();
    const [svg] = await Promise.all([page.waitForEvent("download"), link.click()]);
    assert.equal(svg.suggestedFilename(), "tiny-fig2.svg");
    const text = readFileSync((await svg.path())!, "utf8");
    assert.match(text, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(text, /ALGO\+IMPL/);
    const [png] = await Promise.all([page.waitForEvent("download"), page.locator('figure[data-chart="fig2"] a.download-png').click()]);
    assert.equal(png.suggestedFilename(), "tiny-fig2.png");
    const image = PNG.sync.read(readFileSync((await png.path())!));
    assert.ok(image.width > 200 && image.height > 100);
    await page.context().close();
  });

  test("unstable examples show the test images with each replicate's prediction; class and sub-group filter", { timeout: 60_000 }, async () => {
    const page = await open("/experiments/tiny/unstable");
    await page.locator(".example img").first().waitFor();
    await page.waitForFunction(`[...document.querySelectorAll(".example img")].every((img) => img.complete)`);
    const sizes = (await page.evaluate(`[...document.querySelectorAll(".example img")].map((img) => img.naturalWidth)`)) as number[];
    assert.ok(sizes.length > 0 && sizes.every((w) => w === 96), sizes.join(","));
    assert.equal(await page.locator(".example").first().locator(".votes li").count(), 3, "one prediction per replicate");
    assert.equal(await page.evaluate(STRAY_TEXT), "", "no stray text (a null rendered as text) between the page's elements");
    await screenshot(page, "unstable");
    await page.locator('select[name="class"]').selectOption({ index: 2 });
    await page.waitForURL(/class=1/);
    await page.waitForFunction(`[...document.querySelectorAll(".example .caption")].every((c) => c.textContent.includes("true: class_1"))`);
    await page.locator('select[name="sub-group"]').selectOption({ label: "group = minority" });
    await page.waitForURL(/attribute=group&value=minority/);
    await page.waitForFunction(`[...document.querySelectorAll(".example .caption")].every((c) => c.textContent.includes("group=minority")) || document.querySelector("#note") !== null`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test("a run: its config, training curve and artifacts; a failed run: its failure message", async () => {
    const [first] = listRuns(store, "tiny");
    const page = await open(`/runs/${first.key}`);
    await page.locator("#artifacts").waitFor();
    assert.match((await page.locator("#config").textContent())!, /"variant": "ALGO\+IMPL"/);
    await page.locator('figure[data-chart="curve"] .chart[data-rendered="true"] svg.marks').waitFor();
    assert.ok((await page.locator("#artifacts").textContent())!.includes("weights.safetensors"));
    assert.equal(await page.evaluate(STRAY_TEXT), "", "no stray text (a null rendered as text) between the page's elements");
    await screenshot(page, "run");
    const failed = await open(`/runs/${broken[1].key}`);
    await failed.locator("#failure").waitFor();
    assert.match((await failed.locator("#failure").textContent())!, /synthetic failure of smallcnn\/CONTROL\/r1/);
    assert.equal(await failed.locator("#status").textContent(), "failed");
    assert.deepEqual(errors, []);
    await page.context().close();
    await failed.context().close();
  });

  test("determinism: the check results and the divergence trajectory", async () => {
    const page = await open("/determinism");
    await page.locator('figure[data-chart="trajectory"] .chart[data-rendered="true"] svg.marks').waitFor();
    assert.match((await page.locator("main").textContent())!, /not deterministic/);
    await screenshot(page, "determinism");
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
