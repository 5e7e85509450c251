// The Portside browser app: plain ES modules, no build step, no network beyond the server
// that served it. Everything a user wrote is set as text (textContent), never as HTML.

const state = { config: null, token: null, player: null, socket: null, retries: 0 };
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function showProblem(problem) {
  const box = $("#problem");
  box.textContent = problem ? `${problem.title}: ${problem.detail ?? ""}` : "";
  box.hidden = !problem;
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(state.config.apiBase + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ title: response.statusText }));
    showProblem(problem);
    throw new Error(problem.title);
  }
  showProblem(null);
  return response.status === 204 ? null : response.json();
}

// -- the live connection: a single-use ticket, then the socket; bounded reconnection ----

function setStatus(text, connected) {
  const status = $("#status");
  status.textContent = text;
  status.dataset.state = connected ? "connected" : "offline";
}

async function connect() {
  if (!state.token || state.socket) return;
  try {
    const { ticket } = await api("POST", "/live/tickets");
    const socket = new WebSocket(`${state.config.wsBase}/ws/trivia?ticket=${ticket}`);
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.retries = 0;
      setStatus(`live: connected as ${state.player}`, true);
    });
    socket.addEventListener("message", (event) => onFrame(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      state.socket = null;
      setStatus("live: disconnected", false);
      if (state.retries < 8) {
        const wait = Math.min(30_000, 500 * 2 ** state.retries) * (0.5 + Math.random());
        state.retries += 1;
        setTimeout(connect, wait);
      }
    });
  } catch {
    setStatus("live: unavailable", false);
  }
}

const frameListeners = new Set();
function onFrame(frame) {
  for (const listener of frameListeners) listener(frame);
}

// -- screens ---------------------------------------------------------------------------

function signIn(view) {
  const name = el("input", { id: "username", name: "username", required: "", maxlength: "64",
    autocomplete: "username" });
  const form = el("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const { token } = await api("POST", "/auth/dev-token", { username: name.value.trim() });
      state.token = token;
      state.player = name.value.trim();
      sessionStorage.setItem("portside", JSON.stringify({ token, player: state.player }));
      connect();
      location.hash = "#/profile";
    },
  }, el("label", { for: "username", text: "Username" }), name,
     el("button", { type: "submit", text: "Sign in" }));
  view.append(el("h2", { text: "Sign in" }), form);
  if (state.config.identity.kind !== "development") {
    view.append(el("p", { text: "This server offers no development sign-in." }));
  }
}

async function profile(view) {
  const me = await api("GET", "/players/me");
  const picture = el("img", { class: "avatar", alt: "Your avatar" });
  const show = (url) => { if (url) picture.src = url; };
  show(me.thumbnailUrl);
  const shown = el("p", { id: "display-name", text: me.displayName });
  const level = el("p", { text: `Level ${me.level} · ${me.wins} wins` });
  const nameInput = el("input", { id: "display-name-input", maxlength: "40", required: "",
    value: me.displayName });
  const rename = el("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const renamed = await api("PUT", "/players/me", { displayName: nameInput.value });
      shown.textContent = renamed.displayName;
    },
  }, el("label", { for: "display-name-input", text: "Display name" }), nameInput,
     el("button", { type: "submit", text: "Save name" }));
  const file = el("input", { id: "avatar-file", type: "file",
    accept: "image/png,image/jpeg,image/webp" });
  const result = el("p", { id: "avatar-result", role: "status" });
  const upload = el("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const chosen = file.files[0];
      if (!chosen) return;
      const form = await api("POST", "/players/me/avatar", { contentType: chosen.type });
      const body = new FormData();
      for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
      body.append("file", chosen);
      const sent = await fetch(form.url, { method: "POST", body });
      result.textContent = sent.ok ? "Uploaded: moderation in progress…" : "Upload refused.";
    },
  }, el("label", { for: "avatar-file", text: "New avatar (PNG, JPEG or WebP, up to 2 MB)" }),
     file, el("button", { type: "submit", text: "Upload" }));
  const listener = (frame) => {
    if (frame.type !== "avatar") return;
    if (frame.status === "accepted") {
      result.textContent = "Your new avatar was accepted.";
      show(new URL(frame.thumbnailUrl, state.config.apiBase + "/").href);
    } else {
      result.textContent = `Your avatar was rejected: ${frame.reason}`;
    }
  };
  frameListeners.clear();
  frameListeners.add(listener);
  view.append(el("h2", { text: "Profile" }),
    el("div", { class: "card" }, picture, shown, level), rename, upload, result);
}

async function stocks(view) {
  const stock = el("input", { id: "stock-id", value: "AMZN", required: "", maxlength: "10" });
  const currencies = el("input", { id: "currencies", value: "USD,CAD,AUD", required: "" });
  const table = el("table", { "aria-label": "Value by currency" });
  const form = el("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const query = encodeURIComponent(currencies.value.replace(/\s+/g, ""));
      const value = await api("GET", `/stock/${encodeURIComponent(stock.value)}?currencies=${query}`);
      table.replaceChildren(el("tr", {}, el("th", { text: "Currency" }), el("th", { text: "Value" })),
        ...Object.entries(value.values).map(([currency, amount]) =>
          el("tr", {}, el("td", { text: currency }), el("td", { text: amount }))));
    },
  }, el("label", { for: "stock-id", text: "Stock" }), stock,
     el("label", { for: "currencies", text: "Currencies (comma-separated)" }), currencies,
     el("button", { type: "submit", text: "Show value" }));
  view.append(el("h2", { text: "Stocks" }), form, table);
}

async function play(view) {
  const [, quizId] = location.hash.split("/").slice(1);
  if (!quizId) {
    const { games } = await api("GET", "/games");
    view.append(el("h2", { text: "Play" }), el("ul", { "aria-label": "Games" },
      ...games.map((game) => el("li", {}, el("a", { href: `#/play/${encodeURIComponent(game.quizId)}`,
        text: `${game.name} (${game.category}, by ${game.author})` })))));
    return;
  }
  const game = await api("GET", `/games/${encodeURIComponent(quizId)}`);
  const inputs = game.questions.map((question) => {
    const id = `question-${question.number}`;
    if (question.options) {
      const choices = question.options.map((option, index) => el("label", {},
        el("input", { type: "radio", name: id, value: String(index) }), ` ${option}`));
      return [question, el("fieldset", {}, el("legend", { text: question.text }), ...choices)];
    }
    const input = el("input", { id, name: id, maxlength: "200" });
    return [question, el("div", {}, el("label", { for: id, text: question.text }), input)];
  });
  const board = el("section", { "aria-label": "Answer board" });
  const form = el("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      const responses = [];
      for (const [question, field] of inputs) {
        const id = `question-${question.number}`;
        const value = question.options
          ? field.querySelector(`input[name="${id}"]:checked`)?.value
          : field.querySelector("input").value.trim();
        if (value !== undefined && value !== "") {
          responses.push({ questionNumber: question.number,
            answer: question.options ? Number(value) : value });
        }
      }
      const scored = await api("POST", `/games/${encodeURIComponent(quizId)}/answers`, { responses });
      const leaderboard = await api("GET", `/games/${encodeURIComponent(quizId)}/leaderboard`);
      board.replaceChildren(
        el("p", { id: "score", text: `Score ${scored.score}: ${scored.correct} of ${scored.total}` }),
        el("ol", {}, ...scored.answers.map((answer) => el("li", {
          text: `${answer.correct ? "✓" : "✗"} ${typeof answer.answer === "number"
            ? game.questions[answer.questionNumber - 1].options[answer.answer] : answer.answer}`
            + (answer.followUp ? ` (${answer.followUp})` : "") }))),
        el("h3", { text: "Leaderboard" }),
        el("table", { "aria-label": "Leaderboard" }, ...leaderboard.entries.map((entry) =>
          el("tr", {}, el("td", { text: String(entry.rank) }),
            el("td", {}, entry.thumbnailUrl
              ? el("img", { class: "thumb", src: entry.thumbnailUrl, alt: "" }) : "",
              el("span", { text: ` ${entry.member}` })),
            el("td", { text: entry.score })))));
    },
  }, ...inputs.map(([, field]) => field), el("button", { type: "submit", text: "Submit answers" }));
  view.append(el("h2", { text: game.name }), form, board);
}

async function wallet(view) {
  const [{ balance }, progress] = await Promise.all([
    api("GET", "/wallet"), api("GET", `/players/${encodeURIComponent(state.player)}/progress`),
  ]);
  const shown = el("p", { id: "balance", text: `${balance} coins` });
  const said = el("p", { id: "grant-result", role: "status" });
  // One token per day and browser: a retried click replays the first answer, never twice.
  const token = `grant-${state.player}-${new Date().toISOString().slice(0, 10)}`;
  const claim = el("button", {
    type: "button", text: "Claim today's coins",
    onclick: async () => {
      try {
        const grant = await api("POST", "/wallet/grants", { requestToken: token });
        shown.textContent = `${grant.balance} coins`;
        said.textContent = `${grant.granted} coins granted for ${grant.day}.`;
      } catch {
        said.textContent = "";
      }
    },
  });
  view.append(el("h2", { text: "Wallet and progress" }),
    el("div", { class: "card" }, shown, claim, said),
    el("div", { class: "card" },
      el("p", { id: "level", text: `Level ${progress.level}` }),
      el("p", { text: `${progress.experience} experience · ${progress.wins} wins` })));
}

const screens = {
  "#/profile": profile, "#/stocks": stocks, "#/play": play, "#/wallet": wallet,
};

async function route() {
  const view = $("#view");
  view.replaceChildren();
  const screen = state.token ? screens[location.hash.split("/").slice(0, 2).join("/")] ?? profile
    : signIn;
  try {
    await screen(view);
  } catch (error) {
    view.append(el("p", { text: `Could not load this screen (${error.message}).` }));
  }
  document.body.dataset.ready = "true";
  performance.mark("portside-ready");
}

async function start() {
  state.config = await (await fetch("config.json")).json();
  const saved = JSON.parse(sessionStorage.getItem("portside") ?? "null");
  if (saved) Object.assign(state, saved);
  setStatus("live: offline", false);
  window.addEventListener("hashchange", route);
  await route();
  connect();
}

start();
