// The bookmarks page: list, filter, add and delete through the JSON API, with plain fetch; the
// list follows other clients' changes through server-sent events (`/events`).
"use strict";

const PAGE = 10;
const MAX_LIMIT = 100;
const list = document.getElementById("list");
const errorBox = document.getElementById("error");
const count = document.getElementById("count");
const more = document.getElementById("more");
let next = null;
let tag = "";

// Every error of the API, the router's included, is JSON: {"error": "...", "field": "..."}.
async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return null;
  const text = await res.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    // Only the server itself (e.g. a 413 for a body over its limit) answers in plain text.
    throw new Error(`${res.status}: ${text}`);
  }
  if (!res.ok) throw new Error(data.field ? `${data.field}: ${data.error}` : data.error);
  return data;
}

function showError(err) {
  errorBox.textContent = err ? err.message : "";
  errorBox.hidden = !err;
}

function row(b) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = b.url;
  a.textContent = b.title;
  li.append(a);
  // `mine`: this browser added it (its session cookie owns it).
  if (b.mine) {
    const badge = document.createElement("span");
    badge.className = "mine";
    badge.title = "added from this browser";
    badge.textContent = "yours";
    li.append(" ", badge);
  }
  for (const t of b.tags) {
    const chip = document.createElement("button");
    chip.className = "tag";
    chip.textContent = t;
    chip.onclick = () => load(t);
    li.append(" ", chip);
  }
  const del = document.createElement("button");
  del.className = "delete";
  del.textContent = "delete";
  del.onclick = async () => {
    try {
      await call("DELETE", b.href);
      // Reload rather than only remove the row: the count, and the offset in `next`, changed too.
      await refresh();
    } catch (err) {
      showError(err);
    }
  };
  li.append(" ", del);
  return li;
}

// After a change: reload as many rows as are shown, not only the first page, and `added` more
// when the list was shown to its end, so that a bookmark added at the end comes into view.
function refresh(added = 0) {
  const shown = list.children.length + (next ? 0 : added);
  return load(tag, false, Math.min(MAX_LIMIT, Math.max(PAGE, shown)));
}

async function load(newTag, append = false, limit = PAGE) {
  try {
    if (!append) {
      tag = newTag;
      document.querySelector("#filter [name=tag]").value = tag;
    }
    let path = append ? next : `/bookmarks?limit=${limit}`;
    if (!append && tag) path += `&tag=${encodeURIComponent(tag)}`;
    const page = await call("GET", path);
    if (!append) list.replaceChildren();
    for (const b of page.items) list.append(row(b));
    next = page.next;
    more.hidden = !next;
    count.textContent = `${page.total} bookmark${page.total === 1 ? "" : "s"}${tag ? ` tagged ${tag}` : ""}`;
    showError(null);
  } catch (err) {
    showError(err);
  }
}

document.getElementById("add").onsubmit = async (e) => {
  e.preventDefault();
  const form = e.target;
  const tags = form.tags.value.split(",").map((t) => t.trim()).filter((t) => t);
  try {
    await call("POST", "/bookmarks", { url: form.url.value, title: form.title.value, tags });
    form.reset();
    await refresh(1);
  } catch (err) {
    showError(err);
  }
};

document.getElementById("filter").onsubmit = (e) => {
  e.preventDefault();
  load(e.target.tag.value.trim());
};
document.getElementById("clear").onclick = () => load("");
more.onclick = () => load(tag, true);

// Live updates: any change by any client reloads the rows shown. After a reconnect (the server
// restarted, the network came back) changes may have been missed, so that reloads too.
const live = document.getElementById("live");
const events = new EventSource("/events");
let opened = false;
events.onopen = () => {
  live.textContent = "live";
  live.className = "on";
  if (opened) refresh();
  opened = true;
};
events.onerror = () => {
  live.textContent = "reconnecting";
  live.className = "";
};
events.addEventListener("added", () => refresh(1));
for (const kind of ["updated", "deleted", "reload"]) {
  events.addEventListener(kind, () => refresh());
}

load("");
