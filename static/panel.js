// Smartbot panel: the few things plain HTML cannot do. Everything here is
// an enhancement; every page works without it. Loaded as a module, so it
// runs once the document is parsed.

// Copy buttons: <button data-copy="#id" hidden> copies the text of #id.
// The Clipboard API needs a secure context (HTTPS or localhost); elsewhere,
// and when it is refused, the text is selected so a phone's own "Copy"
// menu is one tap away.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const target = document.querySelector(button.dataset.copy);
  const status = document.querySelector(button.dataset.copyStatus || "#none");
  if (!target) continue;
  button.hidden = false;
  const select = () => {
    target.focus();
    if (target.select) target.select();
    if (target.setSelectionRange) target.setSelectionRange(0, target.value.length);
  };
  target.addEventListener("focus", select);
  button.addEventListener("click", async () => {
    const text = target.value ?? target.textContent;
    let copied = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        copied = true;
      }
    } catch {
      copied = false;
    }
    if (!copied) {
      select();
      try {
        copied = document.execCommand("copy");
      } catch {
        copied = false;
      }
    }
    if (status) {
      status.textContent = copied ? "Copied." : "The key is selected: use your device's Copy.";
    }
  });
}

// The live badge: it follows the page's stream (the element marked
// data-live-stream, whose data-init opens it) through Datastar's fetch
// lifecycle events and the server's signals: "Live" while patches and
// heartbeats arrive, "Reconnecting…" while the stream is down and Datastar
// retries, and "Not live" with a Reload link once the page can no longer
// be trusted to be current.
const streamEl = document.querySelector("[data-live-stream]");
const badge = document.querySelector("#live-status");
if (streamEl && badge) {
  const text = badge.querySelector(".live-text");
  const reload = badge.querySelector(".live-reload");
  const words = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    stale: "Not live: this page may be out of date.",
  };
  // Three missed heartbeats (the server beats every 15 s) make a stream stale.
  const staleAfter = 46000;
  let lastSeen = Date.now();
  const show = (state) => {
    if (badge.dataset.state === state) return;
    badge.dataset.state = state;
    text.textContent = words[state];
    reload.hidden = state !== "stale";
  };
  show("connecting");
  document.addEventListener("datastar-fetch", (evt) => {
    const { type, el, argsRaw } = evt.detail || {};
    if (el !== streamEl) return;
    switch (type) {
      case "datastar-patch-signals":
        lastSeen = Date.now();
        show(/"_stream"\s*:\s*"closing"/.test(argsRaw?.signals ?? "") ? "reconnecting" : "live");
        break;
      case "datastar-patch-elements":
        lastSeen = Date.now();
        show("live");
        break;
      case "retrying":
      case "error":
        show("reconnecting");
        break;
      case "retries-failed":
      case "finished":
        show("stale");
        break;
    }
  });
  setInterval(() => {
    if (badge.dataset.state === "live" && Date.now() - lastSeen > staleAfter) show("stale");
  }, 5000);
}

// Uploads, shared by the media library and the template editor's header:
// a file goes to the media upload API with XMLHttpRequest, which reports
// progress (fetch does not). The session cookie signs the request; being
// same-origin, it passes the server's cross-origin check.
const uploadNouns = { image: "picture", video: "video", audio: "audio file", document: "document" };
const uploadKind = (type) => {
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  if (type.startsWith("audio/")) return "audio";
  if (type === "application/pdf") return "document";
  return "";
};
const megabytes = (n) => {
  const v = n / 1048576;
  return (Number.isInteger(v) ? v : v.toFixed(1)) + " MB";
};
// uploadLimits reads an element's data-limits: the size caps by kind.
const uploadLimits = (el) => {
  try {
    return JSON.parse(el.dataset.limits || "{}");
  } catch {
    return {};
  }
};
// The server checks every file's bytes; this only spares sending one
// that is plainly too big (the server would cut it off mid-way), with the
// server's own wording.
const tooBig = (file, limits) => {
  const kind = uploadKind(file.type);
  const limit = limits[kind];
  if (!limit || file.size <= limit) return "";
  const noun = uploadNouns[kind];
  return `The ${noun} is ${megabytes(file.size)}; Smartbot takes ${noun === "audio file" ? "audio files" : noun + "s"} of at most ${megabytes(limit)}.`;
};
// sendUpload posts file, with the form fields in fields, to endpoint, and
// calls on.progress(loaded, total) as it goes, then on.stored(media) with
// the stored record, or on.failed(message) with the server's reason.
const sendUpload = (endpoint, file, fields, on) => {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", endpoint);
  xhr.responseType = "json";
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) on.progress(e.loaded, e.total);
  });
  xhr.addEventListener("load", () => {
    const answer = xhr.response || {};
    if (xhr.status !== 202 || !answer.id) {
      on.failed(answer.detail || `The upload failed: the server answered ${xhr.status}. Try again.`);
      return;
    }
    on.stored(answer);
  });
  xhr.addEventListener("error", () => on.failed("The upload was cut off. Check the connection and try again."));
  xhr.addEventListener("abort", () => on.failed("The upload was stopped."));
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append("file", file, file.name);
  xhr.send(data);
};

// The media library's upload form (form[data-upload]) becomes a drop
// zone. Files dropped on it or chosen with it are sent one by one to the
// API (data-upload), each with a <progress> bar and, when refused, the
// server's reason. A file sent is handed to the live grid: its entry here
// goes once its card is there. Without this, the form posts the files to
// /library and the page comes back with a notice.
const uploadForm = document.querySelector("form[data-upload]");
if (uploadForm) {
  const endpoint = uploadForm.dataset.upload;
  const input = uploadForm.querySelector('input[type="file"]');
  const zone = uploadForm.querySelector(".dropzone");
  const list = uploadForm.querySelector("#uploads");
  const alt = uploadForm.querySelector('input[name="alt"]');
  const limits = uploadLimits(uploadForm);
  zone.dataset.enhanced = "";
  zone.querySelector(".dropzone-more").hidden = false;
  uploadForm.querySelector("#upload-actions").hidden = true;
  input.required = false;

  // Entries waiting for their card in the grid, by media id.
  const waiting = new Map();
  const handOff = () => {
    for (const [id, li] of waiting) {
      if (document.getElementById("media-" + id)) {
        waiting.delete(id);
        li.remove();
      }
    }
    list.hidden = list.children.length === 0;
  };
  const grid = document.querySelector("#media-library") || document.body;
  new MutationObserver(handOff).observe(grid, { childList: true, subtree: true });

  const send = (file) => {
    const li = document.createElement("li");
    li.dataset.state = "sending";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = "Sending…";
    const bar = document.createElement("progress");
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    li.append(name, state, bar);
    list.append(li);
    list.hidden = false;

    const fail = (message) => {
      li.dataset.state = "failed";
      bar.remove();
      state.textContent = message;
    };
    const refused = tooBig(file, limits);
    if (refused) {
      fail(refused);
      return;
    }
    const fields = {};
    if (alt && alt.value.trim()) fields.alt = alt.value.trim();
    sendUpload(endpoint, file, fields, {
      progress(loaded, total) {
        bar.max = total;
        bar.value = loaded;
        state.textContent = Math.floor((100 * loaded) / total) + "%";
      },
      stored(answer) {
        li.dataset.state = "processing";
        bar.value = bar.max;
        state.textContent = "";
        const link = document.createElement("a");
        link.href = "/library/" + encodeURIComponent(answer.id);
        link.textContent = "Uploaded. Processing…";
        state.append(link);
        waiting.set(answer.id, li);
        handOff();
      },
      failed: fail,
    });
  };
  const sendAll = (files) => {
    for (const file of files) send(file);
  };

  input.addEventListener("change", () => {
    sendAll(input.files);
    // The same file chosen again is a new upload.
    input.value = "";
  });
  // The JavaScript path never submits; Enter in the description must not
  // post an empty form either.
  uploadForm.addEventListener("submit", (e) => e.preventDefault());
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.dataset.over = "";
  });
  zone.addEventListener("dragleave", () => delete zone.dataset.over);
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    delete zone.dataset.over;
    sendAll(e.dataTransfer.files);
  });
}

// The template editor's header upload in place ([data-header-upload]):
// the file chosen goes to the media library's upload API, as above, while
// everything typed stays on the page. Once stored, the header picks it:
// the kind becomes media, the header a file, #tpl-header-media its id (and
// the Datastar signals bound to them follow), and an input event lets the
// form post itself to the preview, which shows the file once it is ready.
// A refusal shows beside the field and changes nothing.
const headerUpload = document.querySelector("[data-header-upload]");
if (headerUpload) {
  const form = headerUpload.closest("form");
  const input = headerUpload.querySelector('input[type="file"]');
  const bar = headerUpload.querySelector("progress");
  const state = headerUpload.querySelector(".upload-state");
  const pick = form.querySelector('select[name="header_media"]');
  const limits = uploadLimits(headerUpload);
  const headerKinds = ["image", "video", "document"];
  const notHeader = (name) => `${name} cannot be a header: a header shows a picture, an MP4 video or a PDF.`;
  headerUpload.hidden = false;

  const choose = (select, value) => {
    if (select.value === value) return;
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const fail = (message) => {
    headerUpload.dataset.state = "failed";
    bar.hidden = true;
    state.textContent = message;
  };
  input.addEventListener("change", () => {
    const file = input.files[0];
    // The same file chosen again is a new upload.
    input.value = "";
    if (!file) return;
    // A voice note is a file Media takes but a header cannot show: it is
    // refused here, before it is stored.
    const refused = uploadKind(file.type) === "audio" ? notHeader(file.name) : tooBig(file, limits);
    if (refused) {
      fail(refused);
      return;
    }
    headerUpload.dataset.state = "sending";
    bar.hidden = false;
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    state.textContent = "Sending " + file.name + "…";
    input.disabled = true;
    sendUpload(headerUpload.dataset.headerUpload, file, {}, {
      progress(loaded, total) {
        bar.max = total;
        bar.value = loaded;
        state.textContent = "Sending " + file.name + ": " + Math.floor((100 * loaded) / total) + "%";
      },
      stored(answer) {
        input.disabled = false;
        if (!headerKinds.includes(answer.kind)) {
          fail(notHeader(file.name) + " It was added to Media.");
          return;
        }
        // Labelled as the server labels the files it lists.
        const labels = { image: "Picture", video: "Video", document: "PDF" };
        if (![...pick.options].some((o) => o.value === answer.id)) {
          pick.append(new Option(`${answer.original_name || file.name} (${labels[answer.kind]})`, answer.id));
        }
        choose(form.querySelector('select[name="kind"]'), "media");
        choose(form.querySelector('select[name="header_type"]'), "media");
        choose(pick, answer.id);
        headerUpload.dataset.state = "stored";
        bar.value = bar.max;
        bar.hidden = true;
        state.textContent = `Uploaded ${answer.original_name || file.name}, now the header. Media prepares it for WhatsApp; the preview shows it once ready.`;
        pick.dispatchEvent(new Event("input", { bubbles: true }));
      },
      failed(message) {
        input.disabled = false;
        fail(message);
      },
    });
  });
}

// A chat opens at its latest message and follows new ones as the stream
// adds them, unless the reader scrolled up to read older ones: the
// conversation's bubbles (#chat-scroll) and the simulator's phone
// (#sim-chat, re-drawn by the stream, so looked up each time).
const followChat = (selector) => {
  const first = document.querySelector(selector);
  if (!first) return;
  let atEnd = true;
  const scroller = () => document.querySelector(selector);
  const toEnd = () => {
    const el = scroller();
    if (el) el.scrollTop = el.scrollHeight;
  };
  document.addEventListener(
    "scroll",
    (e) => {
      const el = scroller();
      if (e.target === el) atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    },
    true,
  );
  toEnd();
  new MutationObserver(() => {
    if (atEnd) toEnd();
  }).observe(first.parentElement, { childList: true, subtree: true });
};
followChat("#chat-scroll");
followChat("#sim-chat");
