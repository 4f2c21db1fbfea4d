// noiselab serve: the browser side of the dashboard. Each page is a shell
// (src/serve/pages.ts) whose <body data-page> says which of the renderers
// below fills it from the JSON API. Text is always inserted as text (never as
// HTML); charts are Vega-Lite specs rendered by vega-embed as SVG.
"use strict";

const body = document.body;
const content = document.getElementById("content");

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  return node;
}

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

/** Replaces the page's content; null and undefined entries are left out. */
function fill(...nodes) {
  content.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
}

function showError(err) {
  fill(el("p", { class: "error" }, String(err.message || err)));
}

const percent = (x, digits = 2) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)}%`);
const seconds = (s) => (s === null || s === undefined ? "—" : `${s.toFixed(1)} s`);
const firstLine = (text) => (text ? text.split("\n")[0] : "");

/** The page's filters, from its URL. */
function params() {
  return new URLSearchParams(location.search);
}

/** Replaces the page's URL query (so that a filtered view can be linked to) and reloads its data. */
function setParams(values, reload) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  const search = p.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
  reload();
}

// ---- Live updates: one server-sent event stream per page --------------------

let listeners = [];
function onExperiments(listener) {
  listeners.push(listener);
}

function connectLive() {
  const badge = document.getElementById("live");
  const source = new EventSource("/api/events");
  source.addEventListener("experiments", (event) => {
    badge.textContent = "live";
    badge.className = "live on";
    const experiments = JSON.parse(event.data);
    for (const l of listeners) l(experiments);
  });
  source.addEventListener("error", () => {
    badge.textContent = "reconnecting";
    badge.className = "live off";
  });
}

// ---- Report blocks (the report's own tables and text) and charts ------------

function renderTable(table) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, table.headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, table.rows.map((row) => el("tr", {}, row.map((cell, i) => el("td", { class: table.numeric[i] ? "num" : null }, cell))))),
    ),
  );
}

function renderBlocks(blocks, figures) {
  const out = [];
  let figuresShown = false;
  for (const b of blocks) {
    if (b.kind === "heading") out.push(el(`h${b.level + 1}`, {}, b.text));
    else if (b.kind === "paragraph") out.push(el("p", {}, b.text));
    else if (b.kind === "list") out.push(el("ul", {}, b.items.map((i) => el("li", {}, i))));
    else if (b.kind === "table") out.push(renderTable(b.table));
    else if (b.kind === "preformatted") out.push(el("pre", {}, b.text));
    else if (b.kind === "figures") {
      out.push(figures);
      figuresShown = true;
    }
  }
  if (!figuresShown) out.push(figures);
  return out;
}

/** One figure per chart, each rendered by vega-embed as SVG, with SVG and PNG downloads; under `heading` when given. */
function renderCharts(charts, downloadUrl, heading = "Figures") {
  const section = el("section", { class: "figures" });
  if (charts.length === 0) return section;
  if (heading) section.append(el("h3", {}, heading));
  for (const chart of charts) {
    const target = el("div", { class: "chart" });
    const links = downloadUrl
      ? el("span", { class: "downloads" }, "Download ", el("a", { href: downloadUrl(chart.id, "svg"), download: "", class: "download-svg" }, "SVG"), " ", el("a", { href: downloadUrl(chart.id, "png"), download: "", class: "download-png" }, "PNG"))
      : null;
    section.append(el("figure", { id: `chart-${chart.id}`, "data-chart": chart.id }, el("h4", {}, chart.title, " ", links), target, el("figcaption", {}, chart.caption)));
    vegaEmbed(target, chart.spec, { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } })
      .then(() => target.setAttribute("data-rendered", "true"))
      .catch((err) => target.replaceChildren(el("p", { class: "error" }, `chart failed: ${err.message}`)));
  }
  return section;
}

// ---- Pages ---------------------------------------------------------------------

function stateCells(e) {
  return [
    el("td", { class: "num" }, String(e.planned)),
    el("td", { class: "num done" }, String(e.done)),
    el("td", { class: "num running" }, String(e.running)),
    el("td", { class: "num failed" }, String(e.failed)),
    el("td", { class: "num queued" }, String(e.queued)),
  ];
}

function progressBar(e) {
  const total = Math.max(1, e.planned, e.done + e.running + e.failed + e.queued);
  const part = (n, cls) => el("span", { class: `bar ${cls}`, style: `width:${(100 * n) / total}%`, title: `${n} ${cls}` });
  return el("div", { class: "progress" }, part(e.done, "done"), part(e.running, "running"), part(e.failed, "failed"));
}

function experimentsPage() {
  const render = (experiments) => {
    if (experiments.length === 0) {
      fill(el("p", {}, "No experiments in this store yet. ", el("code", {}, "noiselab run SPEC --store DIR"), " adds them; this page updates as runs finish."));
      return;
    }
    fill(
      el(
        "table",
        { id: "experiments" },
        el("thead", {}, el("tr", {}, ["Experiment", "Planned", "Done", "Running", "Failed", "Queued", "Progress", "Created"].map((h) => el("th", {}, h)))),
        el(
          "tbody",
          {},
          experiments.map((e) =>
            el("tr", { "data-experiment": e.name }, el("td", {}, el("a", { href: `/experiments/${encodeURIComponent(e.name)}` }, e.name)), stateCells(e), el("td", {}, progressBar(e)), el("td", {}, e.created.replace("T", " ").slice(0, 19))),
          ),
        ),
      ),
    );
  };
  getJson("/api/experiments").then(render, showError);
  onExperiments(render);
}

function checkboxes(name, all, selected, onChange) {
  return el(
    "fieldset",
    { class: "filter", "data-filter": name },
    el("legend", {}, name),
    all.map((value) =>
      el("label", {}, el("input", { type: "checkbox", value, checked: selected.length === 0 || selected.includes(value), onchange: onChange }), ` ${value}`),
    ),
  );
}

function experimentPage() {
  const name = body.dataset.experiment;
  const api = `/api/experiments/${encodeURIComponent(name)}`;
  let shownState = "";
  const load = () => {
    const query = params().toString();
    getJson(`${api}${query ? `?${query}` : ""}`).then(render, showError);
  };
  const render = (view) => {
    shownState = JSON.stringify(view.state);
    const selection = (filter) => () => {
      const boxes = [...document.querySelectorAll(`fieldset[data-filter="${filter}"] input`)];
      const checked = boxes.filter((b) => b.checked).map((b) => b.value);
      const p = Object.fromEntries(params());
      p[filter] = checked.length === boxes.length ? "" : checked.join(",");
      if (checked.length === 0) return; // at least one stays selected
      setParams(p, load);
    };
    const query = params().toString();
    const downloadUrl = (id, format) => `${api}/charts/${encodeURIComponent(id)}.${format}${query ? `?${query}` : ""}`;
    const s = view.state;
    fill(
      el("p", { class: "state", id: "state" }, `${s.done} done · ${s.running} running · ${s.failed} failed · ${s.queued} queued of ${s.planned} planned`, progressBar(s)),
      el("p", {}, el("a", { href: `/experiments/${encodeURIComponent(name)}/unstable${view.filter.environments.length ? `?environment=${encodeURIComponent(view.filter.environments.join(","))}` : ""}`, id: "unstable-link" }, "Unstable examples →")),
      el("div", { class: "filters" }, checkboxes("variant", view.variants, view.filter.variants, selection("variant")), view.environments.length > 0 ? checkboxes("environment", view.environments, view.filter.environments, selection("environment")) : null),
      ...renderBlocks(view.blocks, renderCharts(view.charts, downloadUrl)),
      el("h2", {}, "Runs"),
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          { id: "runs" },
          el("thead", {}, el("tr", {}, ["Run", "Status", "Environment", "Test accuracy", "Time", "Error"].map((h) => el("th", {}, h)))),
          el(
            "tbody",
            {},
            view.runs.map((r) =>
              el("tr", {}, el("td", {}, el("a", { href: `/runs/${r.key}` }, r.label)), el("td", { class: r.status }, r.status), el("td", {}, r.environment), el("td", { class: "num" }, percent(r.testAccuracy)), el("td", { class: "num" }, seconds(r.wallSeconds)), el("td", {}, firstLine(r.error))),
            ),
          ),
        ),
      ),
    );
  };
  load();
  onExperiments((experiments) => {
    const e = experiments.find((x) => x.name === name);
    if (e && shownState !== "" && JSON.stringify(e) !== shownState) load();
  });
}

function select(name, options, selected, onChange) {
  return el(
    "label",
    { class: "select" },
    `${name} `,
    el("select", { name, onchange: onChange }, options.map(([value, text]) => el("option", { value, selected: value === selected }, text))),
  );
}

function unstablePage() {
  const name = body.dataset.experiment;
  const api = `/api/experiments/${encodeURIComponent(name)}`;
  const load = () => {
    const query = params().toString();
    getJson(`${api}/unstable${query ? `?${query}` : ""}`).then(render, showError);
  };
  const render = (view) => {
    const p = Object.fromEntries(params());
    const change = (key) => (event) => {
      const next = { ...Object.fromEntries(params()) };
      if (key === "group") {
        const [attribute, value] = event.target.value === "" ? ["", ""] : JSON.parse(event.target.value);
        next.attribute = attribute;
        next.value = value;
      } else if (key === "group-of") {
        const [model, variant] = JSON.parse(event.target.value);
        next.model = model;
        next.variant = variant;
      } else next[key] = event.target.value;
      setParams(next, load);
    };
    const groupOptions = view.groups.map((g) => [JSON.stringify([g.model, g.variant]), `${g.model} / ${g.variant} (${g.runs} runs)`]);
    const subgroupOptions = [["", "all"], ...Object.entries(view.attributes).flatMap(([attr, values]) => values.map((v) => [JSON.stringify([attr, v]), `${attr} = ${v}`]))];
    const className = (c) => view.classNames[c] ?? `class ${c}`;
    const controls = el(
      "div",
      { class: "filters" },
      select("replicates of", groupOptions, JSON.stringify([view.model, view.variant]), change("group-of")),
      select("class", [["", "all"], ...view.classNames.map((c, i) => [String(i), c])], p.class ?? "", change("class")),
      Object.keys(view.attributes).length > 0 ? select("sub-group", subgroupOptions, p.attribute ? JSON.stringify([p.attribute, p.value]) : "", change("group")) : null,
    );
    const cards = view.examples.map((x) =>
      el(
        "div",
        { class: "example", "data-index": x.index },
        el("img", { src: `${api}/examples/${x.index}.png`, alt: `test example ${x.index}`, width: 96, height: 96 }),
        el("div", { class: "caption" }, el("strong", {}, `#${x.index}`), ` true: ${className(x.label)}`, el("br"), `disagreement ${x.disagreement.toFixed(2)}`, Object.keys(x.groups).length ? el("br") : null, Object.entries(x.groups).map(([k, v]) => `${k}=${v} `)),
        el("ol", { class: "votes" }, x.predictions.map((c, r) => el("li", { class: c === x.label ? "right" : "wrong", title: view.runs[r] }, `${view.runs[r].split("/").pop()}: ${className(c)}`))),
      ),
    );
    fill(
      el("p", {}, "Test examples on which the replicates disagree most (d(x): the share of replicate pairs whose predictions differ), with each replicate's predicted class. ", el("a", { href: `/experiments/${encodeURIComponent(name)}` }, "← report")),
      controls,
      view.note ? el("p", { class: "muted", id: "note" }, view.note) : null,
      el("div", { class: "examples", id: "examples" }, cards),
    );
  };
  load();
}

function definitionList(pairs) {
  return el("dl", {}, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function runPage() {
  const key = body.dataset.key;
  const load = () => getJson(`/api/runs/${key}`).then(render, showError);
  const render = (run) => {
    const curve = Array.isArray(run.curve) ? run.curve : [];
    const rows = curve.flatMap((e) => [
      { epoch: e.epoch, measure: "test accuracy", value: e.testAccuracy },
      { epoch: e.epoch, measure: "train accuracy", value: e.trainAccuracy },
    ]);
    const chart = {
      id: "curve",
      title: "Training curve",
      caption: "Accuracy after each epoch.",
      spec: {
        data: { values: rows },
        width: 420,
        height: 220,
        mark: { type: "line", point: true },
        encoding: { x: { field: "epoch", type: "quantitative", axis: { tickMinStep: 1, format: "d" } }, y: { field: "value", type: "quantitative", title: "accuracy", scale: { zero: false } }, color: { field: "measure", type: "nominal" } },
      },
    };
    fill(
      definitionList([
        ["Key", el("code", {}, run.key)],
        ["Status", el("span", { class: run.status, id: "status" }, run.status)],
        ["Experiments", el("span", {}, run.memberships.map((m) => el("span", {}, el("a", { href: `/experiments/${encodeURIComponent(m.experiment)}` }, m.experiment), ` (${m.label}) `)))],
        ["Environment", run.environment],
        ["Started", run.startedAt],
        ["Finished", run.finishedAt],
        ["Wall time", seconds(run.wallSeconds)],
        ["Attempts", String(run.attempts)],
      ]),
      run.error ? el("section", {}, el("h2", {}, "Failure"), el("pre", { class: "error", id: "failure" }, run.error)) : null,
      el("h2", {}, "Metrics"),
      renderTable({ headers: ["Metric", "Value"], rows: Object.entries(run.metrics).map(([k, v]) => [k, String(v)]), numeric: [false, true] }),
      rows.length > 0 ? renderCharts([chart], null, null) : null,
      el("h2", {}, "Config"),
      el("pre", { id: "config" }, JSON.stringify(run.config, null, 2)),
      el("h2", {}, "Fingerprint"),
      run.fingerprint === null ? el("p", { class: "muted" }, "No fingerprint.json recorded for this run.") : el("pre", { id: "fingerprint" }, JSON.stringify(run.fingerprint, null, 2)),
      el("h2", {}, "Artifacts"),
      run.artifacts.length === 0
        ? el("p", { class: "muted" }, "None (only done runs keep artifacts).")
        : el("ul", { id: "artifacts" }, run.artifacts.map((a) => el("li", {}, el("a", { href: `/api/runs/${run.key}/files/${a.name.split("/").map(encodeURIComponent).join("/")}` }, a.name), ` (${a.bytes.toLocaleString()} bytes)`))),
    );
  };
  load();
}

function determinismPage() {
  getJson("/api/determinism").then((view) => {
    if (view.blocks.length === 0 && view.charts.length === 0) {
      fill(
        el("p", {}, "No determinism results were given. Start the dashboard with ", el("code", {}, "noiselab serve --check FILE… --overhead FILE"), " (files written by ", el("code", {}, "noiselab check --out"), " and ", el("code", {}, "noiselab overhead --out"), ")."),
      );
      return;
    }
    fill(...renderBlocks(view.blocks, renderCharts(view.charts, null)));
  }, showError);
}

const pages = { experiments: experimentsPage, experiment: experimentPage, unstable: unstablePage, run: runPage, determinism: determinismPage };
pages[body.dataset.page]();
connectLive();
