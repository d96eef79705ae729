// Progressive enhancement only: every form works without this file.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) el.form.requestSubmit();
});
// Copy buttons: <button data-copy="input-id"> copies that input's value (the input stays selectable).
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  source.select();
  if (navigator.clipboard) navigator.clipboard.writeText(source.value);
});
