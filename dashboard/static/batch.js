/* The batch dashboard: polls /api/meta and, when the output changed, every panel's API. */
(function () {
  "use strict";
  const D = window.Dash;
  const { fmt, h } = D;
  const cfg = D.config;
  const labels = cfg.labels;
  const currency = labels.currency;
  const metric = labels.metric;
  const valueText = (v) => (metric ? D.metricText(v, metric, currency) : fmt.int(v));
  const axisText = (v) => (metric && metric.money ? fmt.compact(v, currency) : fmt.compact(v));
  const flagLabel = Object.fromEntries(labels.flags.map((f) => [f.name, f.label]));
  let seenVersion = null;
  let retry = false;
  let job = null;  // the job's state from its status file (meta), null while there is none

  function renderKpis(env) {
    const box = document.getElementById("kpis");
    if (env.status !== "ok") {
      box.replaceChildren(D.tile("Key figures", "—", env.message));
      return;
    }
    const k = env.data;
    const tiles = [D.tile("Records", fmt.int(k.records), "rows aggregated", true)];
    if (k.metric) {
      // A measure declared as a mean (a temperature) shows its average only: its total
      // means nothing.
      const average = D.tile("Average " + k.metric.label.toLowerCase(),
        D.metricText(k.metric.avg, k.metric, currency), "over the values present",
        k.metric.agg === "mean");
      if (k.metric.agg !== "mean") {
        const [figure, exact] = D.bigFigure(k.metric.sum, k.metric.money, currency);
        tiles.push(D.tile("Total " + k.metric.label.toLowerCase(), figure,
          exact || (k.metric.money ? currency : "sum over all records"), true));
      }
      tiles.push(average);
    }
    for (const flag of k.flags) {
      tiles.push(D.tile(flag.label + " rate", fmt.percent(flag.rate),
        fmt.int(flag.count) + " records"));
    }
    box.replaceChildren(...tiles);
  }

  function renderTrend(env) {
    if (!D.cardState("card-trend", env)) return;
    const t = env.data;
    const first = t.dates[0];
    const last = t.dates[t.dates.length - 1];
    D.setText("trend-note", fmt.day(first) + " – " + fmt.day(last) + " · "
      + fmt.int(t.dates.length) + (t.dates.length === 1 ? " day" : " days"));
    const datasets = [{
      label: metric ? "Daily " + metric.label.toLowerCase() : "Daily records",
      data: t.values, borderColor: D.color(0), backgroundColor: D.color(0, 0.12), fill: true,
      tension: 0.25, borderWidth: 2, pointRadius: t.dates.length > 60 ? 0 : 3,
      pointHoverRadius: 4,
    }];
    if (t.moving_average) {
      datasets.push({
        label: "7-day average", data: t.moving_average, borderColor: D.color(3),
        borderDash: [6, 4], borderWidth: 2, pointRadius: 0, fill: false, tension: 0.3,
      });
    }
    D.chart("chart-trend", () => ({
      type: "line",
      data: { labels: t.dates, datasets },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: {
            maxTicksLimit: 8, autoSkip: true, maxRotation: 0,
            callback(value) { return fmt.day(this.getLabelForValue(value)); },
          } },
          y: { beginAtZero: true, ticks: { callback: axisText } },
        },
        plugins: { tooltip: { callbacks: {
          title: (items) => fmt.day(items[0].label),
          label: (item) => item.dataset.label + ": " + valueText(item.parsed.y),
          afterBody: (items) => "Records: " + fmt.int(t.records[items[0].dataIndex]),
        } } },
      },
    }), (c) => { c.data.labels = t.dates; c.data.datasets = datasets; });
  }

  function renderSegments(env) {
    if (!D.cardState("card-segments", env)) return;
    const s = env.data;
    const names = s.segments.map((seg) => seg.keys.join(" · "));
    const values = s.segments.map((seg) => seg.value);
    D.setText("segments-note", "top " + s.segments.length + " of " + fmt.int(s.total_segments));
    const dataset = {
      label: metric ? metric.label : "Records", data: values, borderRadius: 6,
      backgroundColor: s.segments.map((_, i) => D.color(i, 0.85)), maxBarThickness: 26,
    };
    D.chart("chart-segments", () => ({
      type: "bar",
      data: { labels: names, datasets: [dataset] },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { callback: axisText } },
          y: { grid: { display: false } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          label: (item) => {
            const seg = s.segments[item.dataIndex];
            return valueText(seg.value) + " · " + fmt.percent(seg.share) + " · "
              + fmt.int(seg.records) + " records";
          },
        } } },
      },
    }), (c) => { c.data.labels = names; c.data.datasets = [dataset]; });
  }

  function headRow(table, cells) {
    const row = h("tr");
    for (const [text, cls] of cells) row.append(h("th", cls, text));
    table.tHead.replaceChildren(row);
  }

  function renderBreakdown(env) {
    if (!D.cardState("card-breakdown", env)) return;
    const b = env.data;
    const select = document.getElementById("breakdown-dim");
    if (select.value !== b.dimension) return; // an older answer for another dimension
    D.setText("breakdown-note", fmt.int(b.distinct) + " distinct values");
    const names = b.rows.map((r) => r.value);
    const dataset = {
      data: b.rows.map((r) => r.total), borderWidth: 2,
      backgroundColor: b.rows.map((r, i) => (r.other ? "#94a3b8" : D.color(i, 0.9))),
    };
    D.chart("chart-breakdown", () => ({
      type: "doughnut",
      data: { labels: names, datasets: [dataset] },
      options: {
        cutout: "62%",
        plugins: { legend: { position: "bottom" }, tooltip: { callbacks: {
          label: (item) => {
            const r = b.rows[item.dataIndex];
            return " " + r.value + ": " + valueText(r.total) + " (" + fmt.percent(r.share) + ")";
          },
        } } },
      },
    }), (c) => { c.data.labels = names; c.data.datasets = [dataset]; });

    const table = document.getElementById("breakdown-table");
    const cols = [[select.options[select.selectedIndex].text, "text"],
      [metric ? "Total" : "Records", "num"], ["Share", "num"]];
    if (metric) cols.push(["Average", "num"], ["Records", "num"]);
    const flags = Object.keys(b.rows.length ? b.rows[0].rates : {});
    for (const flag of flags) cols.push([flagLabel[flag] || flag, "num"]);
    headRow(table, cols);
    const body = b.rows.map((r) => {
      const tr = h("tr");
      tr.append(h("td", "text", r.value), h("td", "num", valueText(r.total)),
        h("td", "num", fmt.percent(r.share)));
      if (metric) tr.append(h("td", "num", valueText(r.average)), h("td", "num", fmt.int(r.records)));
      for (const flag of flags) tr.append(h("td", "num", fmt.percent(r.rates[flag])));
      tr.firstChild.title = r.value;
      return tr;
    });
    table.tBodies[0].replaceChildren(...body);
  }

  function cellText(value, kind) {
    switch (kind) {
      case "date": return fmt.day(value);
      case "count": return fmt.int(value);
      case "money": return fmt.money(value, currency);
      case "rate": return fmt.percent(value);
      case "number": return fmt.number(value, 2);
      default: return value === null || value === undefined ? "—" : String(value);
    }
  }

  function renderRows(env) {
    if (!D.cardState("card-rows", env)) return;
    const r = env.data;
    D.setText("rows-note", "newest " + fmt.int(r.rows.length) + " of " + fmt.int(r.total_rows)
      + " rows");
    const table = document.getElementById("rows-table");
    const numeric = (kind) => (kind === "text" || kind === "date" ? "text" : "num");
    headRow(table, r.columns.map((c) => [c.label, numeric(c.kind)]));
    table.tBodies[0].replaceChildren(...r.rows.map((row) => {
      const tr = h("tr");
      row.forEach((value, i) => {
        const kind = r.columns[i].kind;
        const td = h("td", numeric(kind), cellText(value, kind));
        if (kind === "text") td.title = String(value);
        tr.append(td);
      });
      return tr;
    }));
  }

  function renderQuality(env) {
    if (!D.cardState("card-quality", env)) return;
    const q = env.data;
    const body = document.getElementById("quality-body");
    D.setText("quality-note", q.generated_at ? "report of " + fmt.time(q.generated_at, true)
      + " UTC" : "");
    const stats = h("div", "stats");
    stats.append(
      D.stat("Last run", job ? job.state : "—", Boolean(job && job.state === "failed")),
      D.stat("Rows read", fmt.int(q.rows_read)),
      D.stat("Rows aggregated", fmt.int(q.rows_aggregated)),
      D.stat("Rows dropped", fmt.int(q.rows_dropped_total), q.rows_dropped_total > 0),
      D.stat("Job duration", fmt.duration(q.duration_seconds)),
    );
    const meter = h("div", "meter");
    const fill = h("span");
    const kept = D.isNum(q.kept_rate) ? Math.max(0, Math.min(1, q.kept_rate)) : 0;
    fill.style.width = kept * 100 + "%";
    meter.append(fill);
    const overview = h("section");
    overview.append(stats, meter, h("div", "note", keptText(q.kept_rate) + " of rows kept"));
    const dropped = Object.entries(q.rows_dropped || {})
      .map(([reason, n]) => [reason.replace(/_/g, " "), fmt.int(n)]);
    const defaulted = [];
    for (const [column, reasons] of Object.entries(q.defaulted || {})) {
      for (const [reason, n] of Object.entries(reasons || {})) {
        defaulted.push([column + " · " + reason.replace(/_/g, " "), fmt.int(n)]);
      }
    }
    const files = Array.isArray(q.input_files) ? q.input_files : [];
    const shown = files.slice(0, 5).map((f) => [String(f).split("/").pop(), ""]);
    if (files.length > 5) shown.push([fmt.int(files.length - 5) + " more", ""]);
    const parts = [
      overview,
      block("Dropped, by reason", dropped, "No row dropped"),
      block("Defaulted values", defaulted, "No value defaulted"),
      block("Input files (" + fmt.int(files.length) + ")", shown, "None listed"),
    ];
    const grid = h("div", "quality-grid");
    grid.append(...parts);
    body.replaceChildren(grid);
  }

  /* Seconds in the unit a person reads them in: s, min, h, then days. */
  function elapsed(seconds) {
    if (!D.isNum(seconds)) return "—";
    if (seconds < 90) return fmt.number(seconds, seconds < 10 ? 1 : 0) + " s";
    if (seconds < 5400) return fmt.number(seconds / 60, 1) + " min";
    if (seconds < 172800) return fmt.number(seconds / 3600, 1) + " h";
    return fmt.number(seconds / 86400, 1) + " days";
  }

  /* A lifecycle's funnel: episodes reaching each state (bars, declared order) and each
     transition's conversion over all days, with one day's median and p90 time. */
  function renderFunnel(env) {
    if (!D.cardState("card-funnel", env)) return;
    const f = env.data;
    D.setText("funnel-note", f.days ? fmt.day(f.first_day) + " – " + fmt.day(f.last_day)
      + " · episodes by the day they started" : "");
    const names = f.states.map((s) => s.state);
    const dataset = {
      label: "Episodes reaching the state", data: f.states.map((s) => s.reached),
      backgroundColor: f.states.map((_, i) => D.color(i, 0.85)), borderRadius: 6,
      maxBarThickness: 26,
    };
    D.chart("chart-funnel", () => ({
      type: "bar",
      data: { labels: names, datasets: [dataset] },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => fmt.compact(v) } },
          y: { grid: { display: false } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          label: (item) => fmt.int(item.parsed.x) + " episodes",
        } } },
      },
    }), (c) => { c.data.labels = names; c.data.datasets = [dataset]; });
    const table = document.getElementById("funnel-table");
    headRow(table, [["From", "text"], ["To", "text"], ["Reached", "num"], ["Moved", "num"],
      ["Conversion", "num"], ["Steps", "num"], ["Median time", "num"], ["p90 time", "num"],
      ["Times of", "text"]]);
    table.tBodies[0].replaceChildren(...f.transitions.map((t) => {
      const tr = h("tr");
      tr.append(h("td", "text", t.from), h("td", "text", t.to), h("td", "num", fmt.int(t.reached)),
        h("td", "num", fmt.int(t.moved)), h("td", "num", fmt.percent(t.conversion)),
        h("td", "num", fmt.int(t.steps)), h("td", "num", elapsed(t.median_s)),
        h("td", "num", elapsed(t.p90_s)), h("td", "text", t.timing_day ? fmt.day(t.timing_day) : "—"));
      return tr;
    }));
  }

  function keptText(rate) {
    return D.isNum(rate) && rate < 1 && rate >= 0.99995 ? "over 99.99%" : fmt.percent(rate, 2);
  }

  function block(title, items, none) {
    const section = h("section");
    section.append(h("h3", "subhead", title),
      items.length ? list(items) : h("p", "note", none));
    return section;
  }

  function list(items) {
    const ul = h("ul", "list");
    for (const [name, value] of items) {
      const li = h("li");
      li.append(h("span", null, name), h("span", null, value));
      ul.append(li);
    }
    return ul;
  }

  /* The dimension picked in the menu, whose options are the schema's dimensions (what the API
     accepts); none picked (a schema without dimensions) sends none, and the API says so. */
  function breakdownUrl() {
    const dim = document.getElementById("breakdown-dim").value;
    return dim ? cfg.api.breakdown + "?dimension=" + encodeURIComponent(dim) : cfg.api.breakdown;
  }

  async function refreshAll() {
    const api = cfg.api;
    const [trend, kpis, segments, breakdown, rows, quality, funnel] = await Promise.all([
      D.getJSON(api.trend), D.getJSON(api.kpis), D.getJSON(api.segments), D.getJSON(breakdownUrl()),
      D.getJSON(api.rows), D.getJSON(api.quality), api.funnel ? D.getJSON(api.funnel) : null,
    ]);
    retry = [trend, kpis, segments, breakdown, rows, quality, funnel]
      .some((e) => e && e.transport);
    if (!D.showEmpty(trend, { no_data: "No batch output yet",
      error: "The batch output cannot be read" })) return;
    renderKpis(kpis);
    renderTrend(trend);
    renderSegments(segments);
    renderBreakdown(breakdown);
    renderRows(rows);
    renderQuality(quality);
    if (funnel) renderFunnel(funnel);
  }

  async function tick() {
    const meta = await D.getJSON(cfg.api.meta);
    D.showFreshness(meta);
    job = D.showJob(meta);
    if (meta.status !== "ok") return;
    if (meta.data.version === seenVersion && !retry) return;
    await refreshAll();
    seenVersion = meta.data.version;
    document.body.dataset.version = seenVersion;
  }

  document.addEventListener("DOMContentLoaded", () => {
    D.chartDefaults();
    document.getElementById("breakdown-dim").addEventListener("change", async () => {
      renderBreakdown(await D.getJSON(breakdownUrl()));
    });
    D.poll(cfg.refresh_seconds, tick);
  });
})();
