// ncbench HTML report: renders the view model embedded as JSON (reports/html/html_report.cpp).
// Plain DOM and inline SVG; no libraries, no network.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("ncb-data").textContent);
  const $ = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v; else if (k === "html") e.innerHTML = v; else e.setAttribute(k, v);
    }
    for (const c of kids) if (c != null) e.append(c);
    return e;
  };
  const fmt = (v, key) => {
    if (v === null || v === undefined) return "\u2014";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v) && Math.abs(v) >= 1) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
  };
  const main = document.getElementById("ncb-main");
  const section = (title, id) => { const s = $("section", {id}); s.append($("h2", {text: title})); main.append(s); return s; };

  // Sortable table: click a header to sort by that column (numbers numerically, nulls last).
  function sortable(table) {
    const ths = table.querySelectorAll("th");
    ths.forEach((th, col) => {
      th.classList.add("sortable");
      th.addEventListener("click", () => {
        const asc = !th.classList.contains("asc");
        ths.forEach(t => t.classList.remove("asc", "desc"));
        th.classList.add(asc ? "asc" : "desc");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const val = r => { const c = r.cells[col]; const s = c.dataset.v !== undefined ? c.dataset.v : c.textContent;
                           const n = parseFloat(s); return isNaN(n) ? s : n; };
        rows.sort((a, b) => {
          const x = val(a), y = val(b);
          if (x === y) return 0;
          if (x === "\u2014" || x === "") return 1; if (y === "\u2014" || y === "") return -1;
          return (x < y ? -1 : 1) * (asc ? 1 : -1);
        });
        for (const r of rows) body.append(r);
      });
    });
  }
  function table(headers, rows, cls) {
    const t = $("table", cls ? {class: cls} : {});
    t.append($("thead", {}, $("tr", {}, ...headers.map(h => $("th", {text: h})))));
    const b = $("tbody");
    for (const r of rows) b.append(r);
    t.append(b);
    return t;
  }
  const numCell = (v, key) => { const td = $("td", {class: "num", text: fmt(v, key)}); td.dataset.v = v === null || v === undefined ? "" : v; return td; };

  // ---- Header and context
  const head = document.getElementById("ncb-head");
  head.append($("h1", {text: D.title}));
  head.append($("div", {class: "muted", text: D.subtitle}));
  const ctx = section("Run", "run");
  ctx.append(table(["", ""], D.context.map(([k, v]) => $("tr", {}, $("td", {text: k}), $("td", {class: "mono", text: v}))), "kv"));

  // ---- Summary
  const sum = section("Metrics", "metrics");
  sum.append($("div", {class: "muted", text: D.interval_note}));
  const sumRows = D.summary.map(r => {
    const tr = $("tr", {}, $("td", {text: r.metric}), $("td", {class: "mono", text: r.key}), numCell(r.value),
                 $("td", {class: "num", text: r.ci ? "[" + fmt(r.ci[0]) + ", " + fmt(r.ci[1]) + "]" : ""}),
                 $("td", {text: r.method || ""}), $("td", {text: r.direction === "higher_is_better" ? "\u2191" : r.direction === "lower_is_better" ? "\u2193" : ""}),
                 $("td", {class: "muted", text: r.note || ""}));
    return tr;
  });
  const st = table(["metric", "key", "value", "95% interval", "interval", "better", "note"], sumRows);
  sortable(st);
  sum.append(st);
  if (D.skill.length) {
    const sk = section("Skill over the static baseline", "skill");
    sk.append($("div", {class: "muted", text: "static: the conditioning frame repeated, scored by the same metric on the same samples. " +
      "skill = (model - static) / (ideal - static): 0 is no better than copying the first frame, 1 is ideal, below 0 is worse than copying; " +
      "for dB keys the gain model - static in dB. Intervals: paired bootstrap over samples."}));
    const skt = table(["metric", "key", "model", "static baseline", "skill / gain", "95% interval", "note"], D.skill.map(r =>
      $("tr", {}, $("td", {text: r.metric}), $("td", {class: "mono", text: r.key}), numCell(r.model), numCell(r.baseline),
        $("td", {class: "num", text: r.skill === null ? "\u2014" : fmt(r.skill) + (r.gain_db ? " dB" : "")}),
        $("td", {class: "num", text: r.ci ? "[" + fmt(r.ci[0]) + ", " + fmt(r.ci[1]) + "]" : ""}),
        $("td", {class: "muted", text: r.note || ""}))));
    sortable(skt);
    sk.append(skt);
  }
  if (D.paired_probes.length) {
    const cf = section("Counterfactual conditioning", "counterfactual");
    cf.append($("div", {class: "muted", text: "each sample rolled out again with another sample's conditioning (caption or actions), " +
      "scored against its own ground truth; difference = true - counterfactual (paired bootstrap over samples). " +
      "A model that ignores its conditioning has difference 0. Given log: the counterfactual rollout against the actions it was given."}));
    const cft = table(["probe", "key", "n", "true", "counterfactual", "difference", "95% interval", "better under true", "equal"], D.paired_probes.map(r =>
      $("tr", {}, $("td", {text: r.probe}), $("td", {class: "mono", text: r.key}), numCell(r.n), numCell(r.true_mean), numCell(r.changed_mean),
        numCell(r.difference), $("td", {class: "num", text: r.ci ? "[" + fmt(r.ci[0]) + ", " + fmt(r.ci[1]) + "]" : ""}), numCell(r.share_better), numCell(r.share_equal))));
    sortable(cft);
    cf.append(cft);
  }
  if (D.probes.length) {
    sum.append($("h3", {text: "Probes"}));
    sum.append(table(["probe", "variant", "accuracy", "correct / total", "95% Wilson"], D.probes.map(p =>
      $("tr", {}, $("td", {text: p.probe}), $("td", {text: p.variant}), numCell(p.accuracy),
        $("td", {class: "num", text: p.correct + " / " + p.total}),
        $("td", {class: "num", text: "[" + fmt(p.wilson95[0]) + ", " + fmt(p.wilson95[1]) + "]"})))));
  }

  // ---- Throughput: the device, the model's speed, where the wall time went.
  if (D.throughput_view) {
    const tp = section("Throughput", "throughput");
    tp.append(table(["", ""], D.throughput_view.kv.map(([k, v]) => $("tr", {}, $("td", {text: k}), $("td", {class: "mono", text: v}))), "kv"));
    const pt = table(["phase", "wall s", "share of run", "calls", "frames", "frames/s"], D.throughput_view.phases.map(p =>
      $("tr", {}, $("td", {class: "mono", text: p.phase}), numCell(p.wall_s), numCell(p.share), numCell(p.calls),
        numCell(p.frames), numCell(p.frames_per_s))));
    sortable(pt);
    tp.append(pt);
  }

  // ---- Plots (inline SVG)
  const NS = "http://www.w3.org/2000/svg";
  const svgEl = (tag, attrs) => { const e = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  function axes(svg, W, H, m, x0, x1, y0, y1, xlabel) {
    svg.append(svgEl("line", {x1: m.l, y1: H - m.b, x2: W - m.r, y2: H - m.b, stroke: "#9aa4ae"}));
    svg.append(svgEl("line", {x1: m.l, y1: m.t, x2: m.l, y2: H - m.b, stroke: "#9aa4ae"}));
    const ty = (v) => { const t = svgEl("text", {x: m.l - 4, y: 0, "text-anchor": "end"}); t.textContent = fmt(v); return t; };
    const a = ty(y1); a.setAttribute("y", m.t + 4); svg.append(a);
    const b = ty(y0); b.setAttribute("y", H - m.b); svg.append(b);
    const xl = svgEl("text", {x: m.l, y: H - 4}); xl.textContent = fmt(x0); svg.append(xl);
    const xr = svgEl("text", {x: W - m.r, y: H - 4, "text-anchor": "end"}); xr.textContent = fmt(x1); svg.append(xr);
    const xm = svgEl("text", {x: (W + m.l - m.r) / 2, y: H - 4, "text-anchor": "middle"}); xm.textContent = xlabel; svg.append(xm);
  }
  function range(vals) {
    let lo = Infinity, hi = -Infinity;
    for (const v of vals) if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    return [lo, hi];
  }
  // A line (mean) with a band (lo..hi) over x.
  function linePlot(title, xs, mean, lo, hi, xlabel, baseline) {
    const W = 380, H = 200, m = {l: 48, r: 10, t: 8, b: 28};
    const svg = svgEl("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`});
    const [y0, y1] = range([].concat(mean, lo || [], hi || [], baseline || []));
    const x0 = xs[0], x1 = xs[xs.length - 1] === x0 ? x0 + 1 : xs[xs.length - 1];
    const X = x => m.l + (x - x0) / (x1 - x0) * (W - m.l - m.r), Y = y => H - m.b - (y - y0) / (y1 - y0) * (H - m.t - m.b);
    axes(svg, W, H, m, x0, x1, y0, y1, xlabel);
    if (lo && hi) {
      let d = "";
      xs.forEach((x, i) => { if (lo[i] !== null) d += (d ? "L" : "M") + X(x).toFixed(1) + "," + Y(hi[i]).toFixed(1); });
      for (let i = xs.length - 1; i >= 0; --i) if (lo[i] !== null) d += "L" + X(xs[i]).toFixed(1) + "," + Y(lo[i]).toFixed(1);
      if (d) svg.append(svgEl("path", {d: d + "Z", fill: "var(--band)", stroke: "none"}));
    }
    let d = "";
    xs.forEach((x, i) => { if (mean[i] !== null) d += (d ? "L" : "M") + X(x).toFixed(1) + "," + Y(mean[i]).toFixed(1); });
    if (d) svg.append(svgEl("path", {d, fill: "none", stroke: "var(--accent)", "stroke-width": 1.6}));
    if (baseline) {
      let b = "";
      xs.forEach((x, i) => { if (baseline[i] !== null) b += (b ? "L" : "M") + X(x).toFixed(1) + "," + Y(baseline[i]).toFixed(1); });
      if (b) svg.append(svgEl("path", {d: b, fill: "none", stroke: "#9aa4ae", "stroke-width": 1.4, "stroke-dasharray": "4 3"}));
    }
    return $("div", {class: "plot"}, $("h3", {text: title + (baseline ? "; dashed: static baseline" : "")}), svg);
  }
  function barPlot(title, labels, values, xlabel, maxY) {
    const W = Math.max(300, Math.min(760, 40 + labels.length * 14)), H = 200, m = {l: 48, r: 10, t: 8, b: 28};
    const svg = svgEl("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`});
    const y1 = maxY !== undefined ? maxY : Math.max(1e-9, ...values);
    axes(svg, W, H, m, labels[0], labels[labels.length - 1], 0, y1, xlabel);
    const bw = (W - m.l - m.r) / labels.length;
    values.forEach((v, i) => {
      const h = (v / y1) * (H - m.t - m.b);
      const r = svgEl("rect", {x: m.l + i * bw + 1, y: H - m.b - h, width: Math.max(1, bw - 2), height: h, fill: "var(--accent)"});
      const t = svgEl("title", {}); t.textContent = labels[i] + ": " + fmt(v); r.append(t);
      svg.append(r);
    });
    return $("div", {class: "plot"}, $("h3", {text: title}), svg);
  }
  const plots = section("Plots", "plots");
  const grid = $("div", {class: "grid"});
  for (const s of D.series) grid.append(linePlot(s.title, s.k, s.mean, s.lo, s.hi, "rollout frame k", s.baseline));
  for (const t of D.text_by_frame) grid.append(linePlot(t.title, t.k, t.mean, null, null, "frame k"));
  for (const p of D.probe_categories) grid.append(barPlot(p.title, p.labels, p.values, "category", 1));
  for (const h of D.histograms) grid.append(barPlot(h.title, h.labels, h.values, "error, " + h.unit));
  if (D.throughput) grid.append(linePlot("throughput over the run (frames/s, cumulative)", D.throughput.t, D.throughput.fps, null, null, "seconds since start"));
  if (!grid.children.length) grid.append($("div", {class: "muted", text: "no per-frame data to plot"}));
  plots.append(grid);

  // ---- Samples: sortable table of all, then cards worst first.
  const smp = section("Samples", "samples");
  smp.append($("div", {class: "muted", text: D.order_note}));
  const keys = D.sample_keys;
  const rows = D.samples.map((s, i) => {
    const tr = $("tr", s.status === "ok" ? {} : {class: "error"},
                 numCell(i + 1), $("td", {class: "mono", text: s.id}), $("td", {text: s.status === "ok" ? "ok" : s.stage + " error"}),
                 numCell(s.num_frames), ...keys.map(k => numCell(s.scores ? s.scores[k] : null)));
    return tr;
  });
  const stbl = table(["rank", "id", "status", "frames", ...keys], rows);
  sortable(stbl);
  smp.append(stbl);

  function diffHtml(a, b) {  // character LCS diff of a (ground truth) and b (generated)
    const esc = s => s.replace(/[&<>]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
    if (a.length * b.length > 4e6) return [esc(a), esc(b)];
    const n = a.length, m = b.length, L = Array.from({length: n + 1}, () => new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; --i) for (let j = m - 1; j >= 0; --j)
      L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    let i = 0, j = 0, A = "", B = "";
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) { A += esc(a[i]); B += esc(b[j]); ++i; ++j; }
      else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) { B += "<ins>" + esc(b[j++]) + "</ins>"; }
      else { A += "<del>" + esc(a[i++]) + "</del>"; }
    }
    return [A, B];
  }
  const cards = $("div");
  let shown = 0;
  function card(s, rank) {
    const c = $("div", {class: "card"});
    c.append($("h3", {text: `#${rank} ${s.id}` + (s.status === "ok" ? "" : ` \u2014 ${s.stage} error`)}));
    if (s.prompt) c.append($("div", {class: "muted", text: s.prompt}));
    if (s.error) c.append($("pre", {class: "mono", text: s.error}));
    if (s.scores) c.append($("div", {class: "mono", text: keys.filter(k => s.scores[k] !== undefined).map(k => k + " " + fmt(s.scores[k])).join("   ")}));
    if (s.strip) {
      c.append($("div", {class: "rowlabels", text: "rows: " + s.strip.rows.join(" / ") + " (full scale at " + s.strip.diff_full_scale + "); frames k = " + s.strip.frames.join(", ")}));
      c.append($("img", {src: s.strip.src, loading: "lazy", alt: "frames of " + s.id}));
    } else if (s.strip_missing) {
      c.append($("div", {class: "muted", text: s.strip_missing}));
    }
    for (const t of s.texts || []) {
      if (!t.frames.length) continue;
      const det = $("details", {}, $("summary", {text: `${t.title} texts of ${t.frames.length} frames (ground truth | generated; differing characters marked)`}));
      det.addEventListener("toggle", () => {
        if (!det.open || det.dataset.done) return;
        det.dataset.done = "1";
        for (const f of t.frames) {
          const [a, b] = diffHtml(f.gt, f.gen);
          det.append($("div", {class: "muted", text: `frame ${f.index}: character accuracy ${fmt(f.char_accuracy)}`}));
          det.append($("div", {class: "texts"}, $("pre", {html: a}), $("pre", {html: b})));
        }
      });
      c.append(det);
    }
    return c;
  }
  const more = $("button", {text: "show more samples"});
  function showMore() {
    const end = Math.min(D.samples.length, shown + D.cards_per_page);
    for (; shown < end; ++shown) cards.append(card(D.samples[shown], shown + 1));
    more.style.display = shown < D.samples.length ? "" : "none";
  }
  more.addEventListener("click", showMore);
  smp.append($("h3", {text: "Worst samples first"}), cards, $("div", {class: "pager"}, more));
  showMore();
  document.body.dataset.renderMs = Math.round(performance.now());
  document.body.dataset.rendered = "ok";
})();
