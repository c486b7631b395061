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
