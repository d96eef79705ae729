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

// Copy buttons: <button data-copy="input-id"> copies that input's value (the input stays selectable).
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  source.select();
  if (navigator.clipboard) navigator.clipboard.writeText(source.value);
});
