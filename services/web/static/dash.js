/* Shared page helpers for both dashboards: formatting, fetching the JSON envelope, text-only
   DOM building, the live/stale pill, chart reuse and polling. Data is only ever written with
   textContent, never as HTML. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("page-config").textContent);
  const formats = new Map();

  function formatter(key, options) {
    if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(undefined, options));
    return formats.get(key);
  }

  function isNum(value) {
    return typeof value === "number" && Number.isFinite(value);
  }

  const fmt = {
    int(value) {
      return isNum(value) ? formatter("int", { maximumFractionDigits: 0 }).format(value) : "—";
    },
    number(value, digits = 2) {
      if (!isNum(value)) return "—";
      return formatter("n" + digits, {
        minimumFractionDigits: digits, maximumFractionDigits: digits,
      }).format(value);
    },
    money(value, currency, digits = 2) {
      if (!isNum(value)) return "—";
      if (!currency) return fmt.number(value, digits);
      try {
        return formatter("m" + currency + digits, {
          style: "currency", currency, minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        }).format(value);
      } catch (err) {
        return fmt.number(value, digits) + " " + currency;
      }
    },
    compact(value, currency, digits = 1) {
      if (!isNum(value)) return "—";
      const options = { notation: "compact", maximumFractionDigits: digits };
      if (currency) {
        try {
          return formatter("c" + currency + digits, { ...options, style: "currency", currency })
            .format(value);
        } catch (err) { /* an unknown currency code: plain compact number below */ }
      }
      return formatter("c" + digits, options).format(value);
    },
    percent(rate, digits) {
      if (!isNum(rate)) return "—";
      const d = digits !== undefined ? digits : (Math.abs(rate) < 0.1 ? 2 : 1);
      return formatter("p" + d, {
        style: "percent", minimumFractionDigits: d, maximumFractionDigits: d,
      }).format(rate);
    },
    day(iso) {
      const date = new Date(iso + "T00:00:00Z");
      if (Number.isNaN(date.getTime())) return String(iso);
      return date.toLocaleDateString(undefined, {
        month: "short", day: "numeric", year: "numeric", timeZone: "UTC",
      });
    },
    time(iso, withDate) {
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return String(iso);
      const options = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" };
      if (withDate) Object.assign(options, { month: "short", day: "numeric" });
      return date.toLocaleString(undefined, options);
    },
    age(seconds) {
      if (!isNum(seconds)) return "";
      if (seconds < 5) return "just now";
      if (seconds < 90) return Math.round(seconds) + " s ago";
      if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
      if (seconds < 129600) return Math.round(seconds / 3600) + " h ago";
      return Math.round(seconds / 86400) + " days ago";
    },
    duration(seconds) {
      if (!isNum(seconds)) return "—";
      if (seconds < 1) return Math.round(seconds * 1000) + " ms";
      if (seconds < 120) return fmt.number(seconds, 1) + " s";
      return fmt.number(seconds / 60, 1) + " min";
    },
  };

  /* A tile figure: exact below a million, else compact ("€116.71M") with the exact value
     returned as the second item for the line under it. */
  function bigFigure(value, money, currency) {
    const exact = money ? fmt.money(value, currency) : plain(value);
    if (!isNum(value) || Math.abs(value) < 1e6) return [exact, null];
    return [fmt.compact(value, money ? currency : null, 2), exact];
  }

  /* A value of a metric described by the API ({money: bool}), with the page's currency. */
  function metricText(value, metric, currency) {
    return metric && metric.money ? fmt.money(value, currency) : plain(value);
  }

  /* A number that is no money: a whole one (a sum of units) without ".00". */
  function plain(value) {
    return Number.isInteger(value) ? fmt.int(value) : fmt.number(value, 2);
  }

  /* Build an element; `text` goes through textContent only. */
  function h(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text === undefined || text === null ? "" : String(text);
  }

  async function getJSON(url) {
    try {
      const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
      const body = await response.json();
      if (!body || typeof body.status !== "string") throw new Error("not an API envelope");
      return body;
    } catch (err) {
      return {
        status: "error", data: null, transport: true,
        message: "The dashboard server did not answer (" + err.message + "); retrying.",
      };
    }
  }

  /* Show a card's body when its API answered ok, else the API's message in its place. */
  function cardState(card, envelope) {
    const node = typeof card === "string" ? document.getElementById(card) : card;
    if (!node) return envelope.status === "ok";
    node.dataset.state = envelope.status;
    const message = node.querySelector(".card-message");
    if (message) message.textContent = envelope.status === "ok" ? "" : envelope.message;
    return envelope.status === "ok";
  }

  /* The live/stale pill and "updated …" line from a meta envelope. */
  function showFreshness(meta) {
    const pill = document.getElementById("live-pill");
    if (meta.status !== "ok") {
      pill.dataset.state = "error";
      pill.textContent = "Server unreachable";
      return;
    }
    const f = meta.data.freshness;
    if (!f.updated_at) {
      pill.dataset.state = "waiting";
      pill.textContent = "Waiting for data";
      setText("updated", "No output yet");
      return;
    }
    const words = config.pill || { live: "Live", stale: "Stale" };
    pill.dataset.state = f.alive ? "live" : "stale";
    pill.textContent = f.alive ? words.live : words.stale;
    pill.title = f.alive
      ? "The output changed within the last " + fmt.duration(f.stale_after_seconds)
      : "No change for more than " + fmt.duration(f.stale_after_seconds)
        + ": the job may have stopped or finished";
    const when = new Date(f.updated_at);
    setText("updated", "Updated " + when.toLocaleString(undefined, {
      dateStyle: "medium", timeStyle: "medium",
    }) + " · " + fmt.age(f.age_seconds));
  }

  let job = null;

  function when(iso) {
    return iso ? " at " + fmt.time(iso, true) + " UTC" : "";
  }

  /* The job's state from a meta envelope (its status file, or null): a failed job turns the
     pill red and puts its reason above whatever output an earlier run left. */
  function showJob(meta) {
    job = meta.status === "ok" ? meta.data.job || null : null;
    const failed = Boolean(job && job.state === "failed");
    const banner = document.getElementById("job-banner");
    banner.hidden = !failed;
    if (!failed) return job;
    banner.textContent = "The " + config.job + " failed" + when(job.ended_at) + ": " + job.error
      + " What is shown was written before.";
    const pill = document.getElementById("live-pill");
    pill.dataset.state = "error";
    pill.textContent = "Job failed";
    pill.title = job.error;
    return job;
  }

  /* The page-wide empty state: shown while the main output is missing or unreadable; when
     the job has failed or is still at work, that is what it says. */
  function showEmpty(envelope, titles) {
    const empty = document.getElementById("empty-state");
    const content = document.getElementById("content");
    const ok = envelope.status === "ok";
    empty.hidden = ok;
    content.hidden = !ok;
    if (ok) return ok;
    const state = job ? job.state : null;
    if (state === "failed") {
      setText("empty-title", "The " + config.job + " failed");
      setText("empty-message", (job.ended_at ? "At " + fmt.time(job.ended_at, true) + " UTC: "
        : "") + job.error);
    } else if (state === "starting" || state === "running") {
      setText("empty-title", "The " + config.job + " is " + state);
      setText("empty-message", "Started" + when(job.started_at) + "; " + envelope.message);
    } else {
      setText("empty-title", envelope.status === "no_data" ? titles.no_data : titles.error);
      setText("empty-message", envelope.message);
    }
    return ok;
  }

  const palette = [
    "#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316",
    "#ec4899", "#84cc16", "#6366f1", "#06b6d4",
  ];

  function color(index, alpha) {
    const hex = palette[index % palette.length];
    if (alpha === undefined) return hex;
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function chartDefaults() {
    if (!window.Chart) return false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = cssVar("--muted");
    Chart.defaults.borderColor = cssVar("--grid");
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.animation.duration = 350;
    Chart.defaults.plugins.legend.labels.usePointStyle = true;
    Chart.defaults.plugins.legend.labels.boxWidth = 8;
    Chart.defaults.plugins.tooltip.padding = 10;
    return true;
  }

  const charts = new Map();

  /* One Chart per canvas, updated in place so polling does not flicker. */
  function chart(id, make, refresh) {
    if (!window.Chart) return null;
    let instance = charts.get(id);
    if (!instance) {
      instance = new Chart(document.getElementById(id), make());
      charts.set(id, instance);
    } else {
      refresh(instance);
      instance.update("none");
    }
    return instance;
  }

  /* Run `tick` now and again every `seconds` after it finishes; never two at once. */
  function poll(seconds, tick) {
    let timer = null;
    async function run() {
      clearTimeout(timer);
      try {
        await tick();
      } catch (err) {
        console.warn("dashboard refresh failed:", err);
      }
      timer = setTimeout(run, Math.max(50, seconds * 1000));
    }
    run();
    return { now: run };
  }

  function tile(label, value, sub, accent) {
    const node = h("div", "tile" + (accent ? " accent" : ""));
    node.append(h("div", "tile-label", label), h("div", "tile-value", value));
    const valueNode = node.querySelector(".tile-value");
    valueNode.title = value;
    const length = String(value).length;
    if (length > 10) valueNode.classList.add(length > 13 ? "long" : "medium");
    if (sub) node.append(h("div", "tile-sub", sub));
    return node;
  }

  function stat(label, value, warn) {
    const node = h("div", "stat" + (warn ? " warn" : ""));
    node.append(h("div", "stat-label", label), h("div", "stat-value", value));
    return node;
  }

  document.addEventListener("DOMContentLoaded", () => {
    setText("empty-interval", fmt.duration(config.refresh_seconds));
    const chartsMissing = !window.Chart;
    document.getElementById("charts-missing").hidden = !chartsMissing;
  });

  window.Dash = {
    config, fmt, metricText, bigFigure, h, setText, getJSON, cardState, showFreshness, showJob,
    showEmpty,
    color, chartDefaults, chart, poll, tile, stat, isNum,
  };
})();
