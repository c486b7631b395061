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
