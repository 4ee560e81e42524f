/* The streaming dashboard: polls /api/meta and, when an output changed, every panel's API. */
(function () {
  "use strict";
  const D = window.Dash;
  const { fmt, h } = D;
  const cfg = D.config;
  let meta = { currency: cfg.currency, money: Boolean(cfg.currency), group_label: "Group" };
  let seenVersion = null;
  let retry = false;

  const money = (v) => (meta.money ? fmt.money(v, meta.currency) : fmt.number(v, 2));
  const axisMoney = (v) => (meta.money ? fmt.compact(v, meta.currency) : fmt.compact(v));
  const span = (start, end) => fmt.time(start, true) + "–" + fmt.time(end) + " UTC";

  function renderKpis(board, stream) {
    const tiles = [];
    if (board.status === "ok") {
      const b = board.data;
      const when = span(b.window_start, b.window_end) + (b.provisional ? " · provisional" : "");
      const [figure, exact] = D.bigFigure(b.total_revenue, meta.money, meta.currency);
      tiles.push(D.tile("Window " + meta.value_label.toLowerCase(), figure, exact || when, true));
      tiles.push(D.tile("Window events", fmt.int(b.total_events), when));
      tiles.push(D.tile(meta.group_label + " count", fmt.int(b.groups),
        "active in the latest window"));
    }
    if (stream.status === "ok") {
      const s = stream.data;
      tiles.push(D.tile("Input rows/s", fmt.number(s.input_rows_per_second, 1),
        "processed " + fmt.number(s.processed_rows_per_second, 1) + " rows/s", true));
      tiles.push(D.tile("Dropped as late", fmt.int(s.rows_dropped_late),
        fmt.int(s.rows_dropped_invalid) + " invalid in the last batch"));
      tiles.push(D.tile("Kafka lag", fmt.int(s.lag_messages), "messages behind the topic"));
    }
    document.getElementById("kpis").replaceChildren(...tiles);
  }

  function renderTimeline(env) {
    if (!D.cardState("card-timeline", env)) return;
    const t = env.data;
    const open = t.provisional.filter(Boolean).length;
    D.setText("timeline-note", fmt.int(t.labels.length) + " windows of "
      + fmt.number(t.window_minutes, 0) + " min, sliding " + fmt.number(t.slide_minutes, 0)
      + " min" + (open ? " · " + open + " open" : "") + " · " + fmt.int(t.groups_total)
      + " " + meta.group_label.toLowerCase() + " values");
    const dashed = (ctx) => (t.provisional[ctx.p1DataIndex] ? [5, 4] : undefined);
    const datasets = t.series.map((s, i) => ({
      label: s.group, data: s.values, borderColor: D.color(i), backgroundColor: D.color(i, 0.15),
      borderWidth: 2, cubicInterpolationMode: "monotone", pointRadius: t.labels.length > 40 ? 0 : 2,
      pointHoverRadius: 4, segment: { borderDash: dashed },
    }));
    D.chart("chart-timeline", () => ({
      type: "line",
      data: { labels: t.labels, datasets },
      options: {
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: {
            maxTicksLimit: 10, maxRotation: 0, autoSkipPadding: 14,
            callback(value) { return fmt.time(this.getLabelForValue(value)); },
          } },
          y: { beginAtZero: true, ticks: { callback: axisMoney } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: {
            title: (items) => "Window from " + fmt.time(items[0].label, true) + " UTC"
              + (t.provisional[items[0].dataIndex] ? " (open, provisional)" : ""),
            label: (item) => " " + item.dataset.label + ": " + money(item.parsed.y),
          } },
        },
      },
    }), (c) => { c.data.labels = t.labels; c.data.datasets = datasets; });
  }

  function renderLeaderboard(env) {
    if (!D.cardState("card-leaderboard", env)) return;
    const b = env.data;
    document.getElementById("leaderboard-badge").hidden = !b.provisional;
    D.setText("leaderboard-note", span(b.window_start, b.window_end));
    const top = b.rows.length ? b.rows[0].revenue : 0;
    const items = b.rows.map((r) => {
      const li = h("li");
      const bar = h("div", "bar");
      const fill = h("span");
      fill.style.width = (top ? Math.max(2, (r.revenue / top) * 100) : 0) + "%";
      bar.append(fill);
      const name = h("div", "name", r.group);
      name.title = r.group;
      const delta = h("div", "delta", "");
      if (D.isNum(r.change)) {
        delta.textContent = (r.change >= 0 ? "▲ " : "▼ ") + fmt.percent(Math.abs(r.change));
        delta.classList.add(r.change >= 0 ? "up" : "down");
        delta.title = "against the window one slide earlier";
      }
      li.append(h("div", "rank", r.rank), name, h("div", "value", money(r.revenue)),
        h("div", "meta", fmt.int(r.event_count) + " events · " + fmt.percent(r.share)),
        delta, bar);
      return li;
    });
    document.getElementById("leaderboard").replaceChildren(...items);
    const more = b.groups - b.rows.length;
    D.setText("leaderboard-foot", (more > 0 ? more + " more · " : "") + "total "
      + money(b.total_revenue) + " from " + fmt.int(b.total_events) + " events");
  }

  function renderWindows(env) {
    if (!D.cardState("card-windows", env)) return;
    const w = env.data;
    const g = w.groups_per_window;
    D.setText("windows-note", "first " + fmt.time(w.first_window, true) + " · last "
      + fmt.time(w.last_window, true) + " UTC");
    document.getElementById("windows-stats").replaceChildren(
      D.stat("Closed windows", fmt.int(w.closed_windows)),
      D.stat("Open windows", fmt.int(w.open_windows)),
      D.stat("Groups per window", g ? fmt.number(g.avg, 1) + " (" + g.min + "–" + g.max + ")"
        : "—"),
      D.stat(meta.value_label + ", closed", money(w.revenue_total)),
      D.stat("Events, closed", fmt.int(w.events_total)),
      D.stat("Committed files", fmt.int(w.files)),
    );
    const r = w.recent;
    const datasets = [
      { type: "bar", label: "Groups", data: r.groups, yAxisID: "y", borderRadius: 4,
        backgroundColor: r.provisional.map((p) => (p ? D.color(3, 0.6) : D.color(0, 0.7))) },
      { type: "line", label: "Events", data: r.events, yAxisID: "y1", borderColor: D.color(2),
        backgroundColor: D.color(2, 0.1), pointRadius: 0, borderWidth: 2, tension: 0.3 },
    ];
    D.chart("chart-windows", () => ({
      data: { labels: r.labels, datasets },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { grid: { display: false }, ticks: {
            maxTicksLimit: 8, maxRotation: 0, autoSkipPadding: 14,
            callback(value) { return fmt.time(this.getLabelForValue(value)); },
          } },
          y: { beginAtZero: true, title: { display: true, text: "groups" },
            ticks: { precision: 0 } },
          y1: { beginAtZero: true, position: "right", grid: { display: false },
            title: { display: true, text: "events" }, ticks: { callback: (v) => fmt.compact(v) } },
        },
        plugins: { legend: { position: "bottom" }, tooltip: { callbacks: {
          title: (items) => fmt.time(items[0].label, true) + " UTC"
            + (r.provisional[items[0].dataIndex] ? " (open)" : ""),
          label: (item) => " " + item.dataset.label + ": " + fmt.int(item.parsed.y),
        } } },
      },
    }), (c) => { c.data.labels = r.labels; c.data.datasets = datasets; });
  }

  function renderStream(env) {
    if (!D.cardState("card-stream", env)) return;
    const s = env.data;
    D.setText("stream-note", "batch " + (s.batch_id ?? "—") + (s.mode ? " · " + s.mode : ""));
    const lastBatch = s.batch_time ? fmt.time(s.batch_time, true) + " UTC" : "—";
    const failed = s.state === "failed";
    const error = document.getElementById("stream-error");
    error.hidden = !failed;
    error.textContent = failed ? "The job failed" + (s.ended_at ? " at " + fmt.time(s.ended_at, true)
      + " UTC" : "") + ": " + s.error : "";
    document.getElementById("stream-stats").replaceChildren(
      D.stat("Job", s.state || "—", failed),
      D.stat("Last batch", lastBatch),
      D.stat("Rows in batch", fmt.int(s.input_rows)),
      D.stat("Dropped as late", fmt.int(s.rows_dropped_late), s.rows_dropped_late > 0),
      D.stat("Dropped invalid", fmt.int(s.rows_dropped_invalid), s.rows_dropped_invalid > 0),
      D.stat("Kafka lag", fmt.int(s.lag_messages) + " msgs"),
      D.stat("Batch duration", D.isNum(s.batch_duration_ms) ? fmt.duration(s.batch_duration_ms / 1000) : "—"),
      D.stat("Trigger", D.isNum(s.trigger_seconds) ? fmt.duration(s.trigger_seconds) : "—"),
      D.stat("Watermark", s.watermark ? fmt.time(s.watermark, true) + " UTC" : "—"),
    );
    renderLedger(s.ledger, s.ledger_note);
    const history = s.history || [];
    const labels = history.map((p) => String(p.batch_id));
    const datasets = [
      { label: "input rows/s", data: history.map((p) => p.input_rows_per_second),
        borderColor: D.color(1), backgroundColor: D.color(1, 0.15), fill: true, pointRadius: 2,
        borderWidth: 2, tension: 0.3 },
      { label: "processed rows/s", data: history.map((p) => p.processed_rows_per_second),
        borderColor: D.color(5), pointRadius: 0, borderWidth: 1.5, borderDash: [4, 3] },
    ];
    D.chart("chart-rate", () => ({
      type: "line",
      data: { labels, datasets },
      options: {
        scales: { x: { display: false }, y: { beginAtZero: true,
          ticks: { maxTicksLimit: 4, callback: (v) => fmt.compact(v) } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          title: (items) => "batch " + items[0].label,
          label: (item) => " " + item.dataset.label + ": " + fmt.number(item.parsed.y, 1),
        } } },
      },
    }), (c) => { c.data.labels = labels; c.data.datasets = datasets; });
  }

  /* "Closed windows verified: N of M", shown only when an expected answer is configured. */
  function renderVerification(env) {
    const card = document.getElementById("card-verification");
    card.hidden = env.status === "ok" && !env.data.configured;
    if (card.hidden || !D.cardState(card, env)) return;
    const v = env.data;
    const line = document.getElementById("verification-line");
    line.textContent = "Closed windows verified: " + fmt.int(v.verified) + " of "
      + fmt.int(v.total);
    line.dataset.verdict = v.total === 0 ? "waiting" : (v.right ? "right" : "wrong");
    D.setText("verification-note", v.judged_until
      ? "windows ending by " + fmt.time(v.judged_until, true) + " UTC · "
        + fmt.int(v.rows_verified) + " of " + fmt.int(v.rows) + " window × group rows"
      : "");
    D.setText("verification-summary", v.summary);
    const waiting = v.not_judged.not_final;
    const pending = document.getElementById("verification-pending");
    pending.hidden = !waiting;
    pending.textContent = waiting
      ? fmt.int(waiting) + (waiting === 1 ? " closed window waits" : " closed windows wait")
        + " for the expected answer: it is final up to "
        + fmt.time(v.expected.complete_until, true) + " UTC (the producer is still sending)"
      : "";
    const rows = v.differences.map((d) => {
      const tr = h("tr");
      tr.append(h("td", "", fmt.time(d.window_start, true) + "–" + fmt.time(d.window_end)),
        h("td", "text", d.group), h("td", "", d.kind), h("td", "", d.expected),
        h("td", "", d.found));
      tr.title = d.group;
      return tr;
    });
    const more = v.differences_total - v.differences.length;
    if (more > 0) {
      const tr = h("tr");
      const td = h("td", "", "… and " + fmt.int(more) + " more (sdp-verify lists them all)");
      td.colSpan = 5;
      tr.append(td);
      rows.push(tr);
    }
    document.getElementById("verification-differences").replaceChildren(...rows);
    document.getElementById("verification-table").hidden = v.differences.length === 0;
  }

  /* Where every record read went: read = counted + duplicates + late + quarantined. */
  function renderLedger(l, note) {
    const stats = document.getElementById("ledger-stats");
    if (!l) {
      stats.replaceChildren();
      D.setText("ledger-note", note || "");
      return;
    }
    stats.replaceChildren(
      D.stat("Read", fmt.int(l.read)),
      D.stat("Counted", fmt.int(l.counted)),
      D.stat("Duplicates", fmt.int(l.duplicates)),
      D.stat("Quarantined", fmt.int(l.quarantined), l.quarantined > 0),
      D.stat("Dropped late", fmt.int(l.late), l.late > 0),
      D.stat("Balanced", l.balanced ? "yes" : "no", !l.balanced),
    );
    const parts = [];
    parts.push(l.quarantined_by_reason.length
      ? "Quarantined by reason: " + l.quarantined_by_reason
        .map((r) => r.reason + " " + fmt.int(r.count)).join(" · ")
      : "Nothing quarantined.");
    if (l.unaccounted) parts.push(fmt.int(l.unaccounted) + " records read but not accounted for.");
    if (l.missed_batches) parts.push(fmt.int(l.missed_batches) + " micro-batches never counted.");
    D.setText("ledger-note", parts.join(" "));
  }

  function renderNotes(...envelopes) {
    const notes = new Set();
    for (const env of envelopes) {
      if (env.status === "ok" && env.data && Array.isArray(env.data.notes)) {
        env.data.notes.forEach((n) => notes.add(n));
      }
    }
    const node = document.getElementById("notes");
    node.hidden = notes.size === 0;
    node.textContent = Array.from(notes).join(" ");
  }

  async function refreshAll() {
    const api = cfg.api;
    const [timeline, board, windows, stream, verification] = await Promise.all([
      D.getJSON(api.timeline), D.getJSON(api.leaderboard), D.getJSON(api.windows),
      D.getJSON(api.stream), D.getJSON(api.verification),
    ]);
    retry = [timeline, board, windows, stream, verification].some((e) => e.transport);
    if (!D.showEmpty(timeline, { no_data: "No streaming output yet",
      error: "The streaming output cannot be read" })) return;
    renderKpis(board, stream);
    renderNotes(timeline, windows);
    renderTimeline(timeline);
    renderLeaderboard(board);
    renderWindows(windows);
    renderStream(stream);
    renderVerification(verification);
  }

  async function tick() {
    const envelope = await D.getJSON(cfg.api.meta);
    D.showFreshness(envelope);
    D.showJob(envelope);
    if (envelope.status !== "ok") return;
    meta = envelope.data;
    D.setText("group-label", meta.group_label.toLowerCase());
    if (meta.version === seenVersion && !retry) return;
    await refreshAll();
    seenVersion = meta.version;
    document.body.dataset.version = seenVersion;
  }

  document.addEventListener("DOMContentLoaded", () => {
    D.chartDefaults();
    D.poll(cfg.refresh_seconds, tick);
  });
})();
