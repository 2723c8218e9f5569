// densemcp dashboard: polls /dashboard/data once a second and draws the
// last few minutes on canvas. Cumulative counters from the server become
// rates and percentiles here, from the difference between two polls.
"use strict";

const HISTORY = 180; // points kept (seconds)
const COLORS = ["#58a6ff", "#f0883e", "#3fb950", "#d2a8ff", "#f85149", "#e3b341", "#56d4dd", "#ff7b72"];

const state = { prev: null, series: {}, polls: 0 };

function push(name, v) {
  const s = state.series[name] || (state.series[name] = []);
  s.push(v);
  if (s.length > HISTORY) s.shift();
}

// quantile of a bucketed histogram delta: linear within the bucket.
function quantile(q, bounds, counts) {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const next = cum + counts[i];
    if (next >= rank && counts[i] > 0) {
      const lo = i === 0 ? 0 : bounds[i - 1];
      const hi = i < bounds.length ? bounds[i] : bounds[bounds.length - 1];
      return lo + (hi - lo) * ((rank - cum) / counts[i]);
    }
    cum = next;
  }
  return bounds[bounds.length - 1];
}

function fmt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return (n / 1e3).toFixed(1) + "k";
  if (a >= 100 || Number.isInteger(n)) return Math.round(n).toString();
  return n.toFixed(a >= 10 ? 1 : 2);
}

// fmtDur writes seconds in the unit that suits them.
function fmtDur(s) {
  if (s === null) return "–";
  if (s < 1e-3) return fmt(s * 1e6) + " µs";
  if (s < 1) return fmt(s * 1e3) + " ms";
  return fmt(s) + " s";
}

function fmtBytes(n) {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
  return n + " B";
}

function setText(id, text) {
  document.getElementById(id).textContent = text;
}

// draw renders named series (arrays of numbers or null) as lines.
function draw(id, names, labels) {
  const canvas = document.getElementById(id);
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  let max = 0;
  for (const n of names) for (const v of state.series[n] || []) if (v !== null && v > max) max = v;
  max = max > 0 ? max * 1.1 : 1;
  const left = 44, bottom = 16, top = 4;
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#8a96a3";
  ctx.strokeStyle = "#263040";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 3; i++) {
    const y = top + (h - top - bottom) * (1 - i / 3);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText(fmt(max * i / 3), 2, y + 4);
  }
  ctx.fillText("-" + HISTORY + "s", left, h - 3);
  ctx.fillText("now", w - 24, h - 3);
  names.forEach((n, k) => {
    const s = state.series[n] || [];
    ctx.strokeStyle = COLORS[k % COLORS.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    s.forEach((v, i) => {
      const x = left + (w - left) * ((HISTORY - s.length + i) / (HISTORY - 1));
      if (v === null) { pen = false; return; }
      const y = top + (h - top - bottom) * (1 - v / max);
      if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      pen = true;
    });
    ctx.stroke();
    if (labels) {
      ctx.fillStyle = COLORS[k % COLORS.length];
      ctx.fillText(labels[k], left + 6 + 64 * k, top + 12);
    }
  });
  canvas.dataset.points = String((state.series[names[0]] || []).length);
}

function update(d) {
  const p = state.prev;
  const dt = p ? (d.timeMs - p.timeMs) / 1000 : 0;
  const rate = (a, b) => (p && dt > 0 ? Math.max(0, a - b) / dt : null);
  const t = d.total;
  const callRate = p ? rate(t.requests, p.total.requests) : null;
  let p50 = null, p99 = null;
  if (p) {
    const delta = d.counts.map((c, i) => Math.max(0, c - (p.counts[i] || 0)));
    p50 = quantile(0.5, d.bounds, delta);
    p99 = quantile(0.99, d.bounds, delta);
  }
  const errRate = p ? rate(t.errors + t.toolErrors, p.total.errors + p.total.toolErrors) : null;
  const refRate = p ? rate(t.refusals, p.total.refusals) : null;

  push("rate", callRate);
  push("p50", p50 === null ? null : p50 * 1e6);
  push("p99", p99 === null ? null : p99 * 1e6);
  push("conns", t.connections);
  push("sessions", t.sessions);
  push("errors", errRate);
  push("refusals", refRate);
  const loopNames = [], pendNames = [];
  d.loops.forEach((l, i) => {
    const pl = p && p.loops[i];
    push("loop" + i, pl ? rate(l.requests, pl.requests) : null);
    push("pend" + i, l.pendingBytes);
    loopNames.push("loop" + i);
    pendNames.push("pend" + i);
  });

  setText("t-connections", fmt(t.connections));
  setText("t-sessions", fmt(t.sessions));
  setText("t-rate", fmt(callRate));
  setText("t-latency", fmtDur(p50) + " / " + fmtDur(p99));
  setText("t-errors", fmt(errRate));
  setText("t-refusals", fmt(refRate));
  setText("t-pending", fmtBytes(t.pendingBytes));
  setText("t-workers", d.workers[0] + " / " + d.workers[1]);
  setText("t-inflight", fmt(d.inFlight) + " / " + fmt(d.limit));
  const mem = d.memory;
  setText("t-memory", mem.budget > 0 ? mem.stage + " · " + fmtBytes(mem.heapLive) + " / " + fmtBytes(mem.budget) : "off");
  document.getElementById("t-memory").className = "value" + (mem.level >= 2 ? " bad" : mem.level === 1 ? " warn" : "");
  const status = document.getElementById("status");
  status.textContent = d.ready ? "ready" : d.draining ? "draining" : "not ready: " + (d.notReady || "");
  status.className = "badge " + (d.ready ? "ok" : d.draining ? "warn" : "bad");
  setText("updated", "updated " + new Date(d.timeMs).toLocaleTimeString());

  draw("c-rate", ["rate"]);
  draw("c-latency", ["p50", "p99"], ["p50", "p99"]);
  draw("c-conns", ["conns", "sessions"], ["conns", "sessions"]);
  draw("c-errors", ["errors", "refusals"], ["errors", "refusals"]);
  draw("c-pending", pendNames, pendNames.map((_, i) => "loop " + i));
  draw("c-loops", loopNames, loopNames.map((_, i) => "loop " + i));

  const body = document.querySelector("#loops tbody");
  while (body.rows.length > d.loops.length) body.deleteRow(-1);
  d.loops.forEach((l, i) => {
    const row = body.rows[i] || body.insertRow();
    while (row.cells.length < 7) row.insertCell();
    const pl = p && p.loops[i];
    const cells = [String(l.index) + (l.stale ? " (stale)" : ""), fmt(l.connections), fmt(l.sessions),
      fmt(pl ? rate(l.requests, pl.requests) : null), fmt(l.errors + l.toolErrors), fmt(l.refusals), fmtBytes(l.pendingBytes)];
    cells.forEach((c, k) => { row.cells[k].textContent = c; });
  });
  state.prev = d;
  state.polls++;
  document.body.dataset.polls = String(state.polls);
}

async function poll() {
  try {
    const r = await fetch("/dashboard/data", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    update(await r.json());
  } catch (e) {
    const status = document.getElementById("status");
    status.textContent = "no data: " + e.message;
    status.className = "badge bad";
  }
}

poll();
setInterval(poll, 1000);
