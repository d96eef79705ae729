// Progressive enhancement only: every form works without this file.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});

// Signup: tell the server the browser's time zone, so the company starts with the right zone,
// currency and country.
for (const input of document.querySelectorAll("input[data-browser-timezone]")) {
  try {
    if (!input.value) input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    /* an old browser: the company starts on UTC */
  }
}

// Copy buttons: <button data-copy="element-id"> copies that input's value (selecting it too) or
// that element's text. A button rendered `hidden` (no use without this file) is shown here.
function enableCopyButtons(root) {
  root.querySelectorAll("button[data-copy][hidden]").forEach((button) => { button.hidden = false; });
}
document.addEventListener("DOMContentLoaded", () => enableCopyButtons(document));
document.addEventListener("htmx:load", (event) => enableCopyButtons(event.target));
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent.trim();
  if (source.select) source.select();
  if (!navigator.clipboard) return;
  navigator.clipboard.writeText(text).then(() => {
    if (button.dataset.copied) button.textContent = button.dataset.copied;
  });
});

// A textarea with data-ctrl-enter="submit": Ctrl+Enter (⌘+Enter on a Mac) submits its form
// (the note box of a customer's history).
document.addEventListener("keydown", (event) => {
  const el = event.target;
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  if (!el.matches || !el.matches("textarea[data-ctrl-enter='submit']") || !el.form) return;
  event.preventDefault();
  el.form.requestSubmit();
});
