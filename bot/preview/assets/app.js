// The preview page: polls /api/state, draws the chat, the diagram and the problems.
// Plain JavaScript, nothing loaded from elsewhere; every text goes in through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
let last = null;        // the last state shown
let lastJson = "";
let shownGraph = "";    // "flow@version" of the diagram on the page
let shownTitle = null;  // [flow, title] of the diagram on the page

// The page's own labels, German first; the chat language select picks the set.
const LABELS = {
  de: {
    title: "Beistand-Vorschau", loading: "lädt…", language: "Sprache", restart: "Neu starten",
    jumpTo: "Springen zu", node: "Knoten", go: "Los", message: "Nachricht",
    placeholder: "Nachricht eingeben oder /start FLOW", send: "Senden", chat: "Chat",
    diagram: "Diagramm", validation: "Prüfung", start: "(Start)", none: "keine Probleme",
    hint: "Aktueller Knoten rot, der gegangene Weg blau. Ein Klick auf einen Knoten springt dorthin.",
    error: (m) => "Fehler: " + m,
    notRunning: "die Vorschau läuft nicht",
    notReady: (n) => `die Dateien sind nicht gültig (${n} Fehler); nach der Korrektur startet die Vorschau`,
    broken: (n) => `die Dateien auf der Platte sind nicht gültig (${n} Fehler): der Chat behält den letzten guten Inhalt`,
    loaded: (n, v) => `Inhalt geladen: ${n} Abläufe (Neuladen ${v})`,
    count: (e, w) => `(${e} Fehler, ${w} Warnung(en))`,
    paths: (c) => `Abläufe: ${c.flows} · Wissen: ${c.knowledge} · Sprachen: ${c.locales}`,
  },
  en: {
    title: "Beistand preview", loading: "loading…", language: "Language", restart: "Restart",
    jumpTo: "Jump to", node: "node", go: "Go", message: "message",
    placeholder: "Type a message or /start FLOW", send: "Send", chat: "chat",
    diagram: "Diagram", validation: "Validation", start: "(start)", none: "no problems",
    hint: "Current node in red, the path taken in blue. Click a node to jump there.",
    error: (m) => "error: " + m,
    notRunning: "the preview is not running",
    notReady: (n) => `the files do not validate (${n} error(s)); fix them and the preview starts`,
    broken: (n) => `the files on disk do not validate (${n} error(s)): the chat keeps the last good content`,
    loaded: (n, v) => `content loaded: ${n} flows (reload ${v})`,
    count: (e, w) => `(${e} error(s), ${w} warning(s))`,
    paths: (c) => `flows: ${c.flows} · knowledge: ${c.knowledge} · locales: ${c.locales}`,
  },
};
let ui = "de";

function t(key, ...args) {
  const label = LABELS[ui][key];
  return typeof label === "function" ? label(...args) : label;
}

function applyLabels(locale) {
  ui = LABELS[locale] ? locale : "de";
  document.documentElement.lang = ui;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-aria]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nAria));
  }
  drawTitle();
  if (last) {
    drawStatus(last);
  }
  const first = $("jump-node").firstChild;
  if (first) first.textContent = t("start");
}

function drawTitle() {
  const [flow, title] = shownTitle || [null, null];
  $("flow-title").textContent = flow ? `${t("diagram")}: ${flow}${title ? " – " + title : ""}` : t("diagram");
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

async function send(body) {
  try {
    show(await api("/api/event", body));
  } catch (error) {
    $("status").textContent = t("error", error.message);
  }
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawLog(state) {
  const log = $("log");
  log.replaceChildren();
  let lastAsk = -1;
  state.transcript.forEach((entry, i) => { if (entry.buttons.length) lastAsk = i; });
  state.transcript.forEach((entry, i) => {
    const item = el("li", entry.who, entry.text);
    if (entry.buttons.length) {
      const box = el("div", "buttons");
      for (const button of entry.buttons) {
        const b = el("button", "choice", button.label);
        b.type = "button";
        b.dataset.data = button.data;
        b.disabled = i !== lastAsk || !state.ready;
        b.addEventListener("click", () => send({ type: "choose", data: button.data, label: button.label }));
        box.append(b);
      }
      item.append(box);
    }
    log.append(item);
  });
  log.scrollTop = log.scrollHeight;
}

function drawStatus(state) {
  const status = $("status");
  const errors = state.problems.filter((p) => p.severity === "error").length;
  status.classList.toggle("broken", state.broken);
  if (!state.ready) {
    status.textContent = t("notReady", errors);
  } else if (state.broken) {
    status.textContent = t("broken", errors);
  } else {
    status.textContent = t("loaded", state.flows.length, state.version);
  }
  const list = $("problems");
  list.replaceChildren();
  for (const problem of state.problems) {
    const item = el("li", problem.severity, problem.text);
    item.dataset.file = problem.file;
    item.dataset.line = problem.line;
    list.append(item);
  }
  if (!state.problems.length) list.append(el("li", "none", t("none")));
  $("problem-count").textContent = t("count", errors, state.problems.length - errors);
  $("paths").textContent = t("paths", state.content);
}

function drawJump(state) {
  const flows = $("jump-flow");
  const ids = state.flows.map((f) => f.id).join(",");
  if (flows.dataset.ids !== ids) {
    const keep = flows.value;
    flows.replaceChildren(...state.flows.map((f) => {
      const option = el("option", "", `${f.id} – ${f.title}`);
      option.value = f.id;
      return option;
    }));
    flows.dataset.ids = ids;
    if (keep && state.flows.some((f) => f.id === keep)) flows.value = keep;
    else if (state.current) flows.value = state.current.flow;
    drawNodes();
  }
  // the jump list follows the conversation into another flow
  const flow = state.current ? state.current.flow : "";
  if (flow && flows.dataset.follows !== flow) {
    flows.dataset.follows = flow;
    flows.value = flow;
    drawNodes();
  }
  $("lang").value = state.locale;
  if (state.locale !== ui) applyLabels(state.locale);
}

function drawNodes() {
  const flow = (last ? last.flows : []).find((f) => f.id === $("jump-flow").value);
  const nodes = $("jump-node");
  nodes.replaceChildren(el("option", "", t("start")));
  nodes.firstChild.value = "";
  for (const id of flow ? flow.nodes : []) {
    const option = el("option", "", id);
    option.value = id;
    nodes.append(option);
  }
}

async function drawGraph(state) {
  const box = $("graph");
  if (!state.current) return;
  const flow = state.current.flow;
  const wanted = `${flow}@${state.version}`;
  if (shownGraph !== wanted) {
    const response = await fetch(`/api/graph/${encodeURIComponent(flow)}.svg?v=${state.version}`);
    if (!response.ok) return;
    box.innerHTML = await response.text(); // generated by the server, every text escaped there
    shownGraph = wanted;
    const title = state.flows.find((f) => f.id === flow);
    shownTitle = [flow, title ? title.title : ""];
    drawTitle();
    for (const node of box.querySelectorAll(".node")) {
      node.addEventListener("click", () => send({ type: "jump", flow, node: node.dataset.node }));
    }
  }
  mark(state, flow);
}

function mark(state, flow) {
  const box = $("graph");
  const visited = new Set();
  const taken = new Set();
  let before = null;
  for (const [f, n] of state.path) {
    if (f === flow) {
      visited.add(n);
      if (before && before[0] === flow) taken.add(`${before[1]}\u0000${n}`);
    }
    before = [f, n];
  }
  for (const node of box.querySelectorAll(".node")) {
    const id = node.dataset.node;
    node.classList.toggle("visited", visited.has(id));
    node.classList.toggle("current", id === state.current.node);
  }
  for (const edge of box.querySelectorAll(".edge")) {
    edge.classList.toggle("taken", taken.has(`${edge.dataset.source}\u0000${edge.dataset.target}`));
  }
  const current = box.querySelector(".node.current");
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "nearest" });
}

function show(state) {
  const json = JSON.stringify(state);
  if (json === lastJson) return;
  lastJson = json;
  last = state;
  drawStatus(state);
  drawJump(state);
  drawLog(state);
  drawGraph(state);
  document.body.dataset.version = state.version;
  document.body.dataset.current = state.current ? `${state.current.flow}/${state.current.node}` : "";
}

async function poll() {
  try {
    show(await api("/api/state"));
  } catch (error) {
    $("status").textContent = t("notRunning");
    $("status").classList.add("broken");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    send({ type: "text", text });
  });
  $("restart").addEventListener("click", () => send({ type: "restart" }));
  $("lang").addEventListener("change", () => {
    applyLabels($("lang").value);
    send({ type: "language", locale: $("lang").value });
  });
  $("jump-flow").addEventListener("change", drawNodes);
  $("jump").addEventListener("click", () =>
    send({ type: "jump", flow: $("jump-flow").value, node: $("jump-node").value || null }));
  applyLabels($("lang").value);
  poll();
  setInterval(poll, 700);
});
