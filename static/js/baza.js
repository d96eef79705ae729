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

// A form answered with errors (re-rendered by the server, or swapped in by htmx after a 422) puts
// the focus on its first invalid field, not on the field marked autofocus: the keyboard user lands
// where the message is. htmx focuses [autofocus] just before it fires htmx:load, so this wins.
function focusFirstInvalid(root) {
  const scope = root && root.querySelector ? root : document;
  const invalid = (scope.matches && scope.matches("form") ? scope : scope.querySelector("form:has([aria-invalid='true'])"))
    ?.querySelector("[aria-invalid='true']");
  if (invalid && invalid.focus) invalid.focus();
}
document.addEventListener("DOMContentLoaded", () => focusFirstInvalid(document));
document.addEventListener("htmx:load", (event) => {
  if (event.target !== document.body) focusFirstInvalid(event.target);
});

// Inline edit on the customer card: Escape in the field's form means Cancel.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const form = event.target.closest && event.target.closest("form[data-inline-edit]");
  const cancel = form && form.querySelector("[data-inline-cancel]");
  if (cancel) {
    event.preventDefault();
    cancel.click();
  }
});

// The app menu at phone widths: a real button (aria-expanded) folds and unfolds the navigation.
// Without this file the menu is simply shown (the button stays hidden). Escape closes it and
// gives focus back to the button.
for (const toggle of document.querySelectorAll(".nav-toggle[aria-controls]")) {
  const menu = document.getElementById(toggle.getAttribute("aria-controls"));
  const bar = toggle.closest(".topbar");
  if (!menu || !bar) continue;
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  };
  toggle.hidden = false;
  bar.classList.add("nav-folds");
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
}

// Customers page: "select all on this page", the count of ticked rows, and only the fields of
// the chosen batch action. Without this file every field shows and rows are ticked one by one.
const batchBoxes = () => Array.from(document.querySelectorAll('input[name="ids"][form="batch-form"]'));

function batchUpdate() {
  const form = document.getElementById("batch-form");
  if (!form) return;
  const boxes = batchBoxes();
  const ticked = boxes.filter((b) => b.checked).length;
  const counter = form.querySelector("[data-batch-count]");
  if (counter) {
    counter.hidden = false;
    const n = ticked.toLocaleString(document.documentElement.lang || undefined);
    counter.textContent = ticked ? counter.dataset.template.replace("{n}", n) : counter.dataset.none;
  }
  const all = document.querySelector("input[data-select-all]");
  if (all) {
    all.checked = ticked > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }
  // "Select all N matching" (segments): offered once the whole page is ticked; checked, the
  // action runs over the list's state instead of the ticked ids.
  const matching = form.querySelector("[data-batch-matching]");
  const scope = form.querySelector("[data-batch-scope]");
  if (matching && scope) {
    const whole = ticked > 0 && ticked === boxes.length;
    matching.hidden = !whole;
    if (!whole) scope.checked = false;
    if (scope.checked && counter) counter.textContent = scope.dataset.selected;
  }
}

function batchShowParams() {
  const form = document.getElementById("batch-form");
  if (!form) return;
  const action = form.querySelector("[data-batch-action]");
  for (const block of form.querySelectorAll(".batch-params[data-for]")) {
    block.hidden = !action || block.dataset.for !== action.value;
  }
}

function enableBatch() {
  const all = document.querySelector("input[data-select-all]");
  if (all) all.hidden = false;
  batchShowParams();
  batchUpdate();
}

document.addEventListener("change", (event) => {
  const el = event.target;
  if (!el.matches) return;
  if (el.matches("input[data-select-all]")) {
    batchBoxes().forEach((b) => { b.checked = el.checked; });
    batchUpdate();
  } else if (el.matches('input[name="ids"]') || el.matches("[data-batch-scope]")) {
    batchUpdate();
  } else if (el.matches("[data-batch-action]")) {
    batchShowParams();
  }
});
document.addEventListener("DOMContentLoaded", enableBatch);
document.addEventListener("htmx:load", enableBatch);

// A textarea with data-ctrl-enter="submit": Ctrl+Enter (⌘+Enter on a Mac) submits its form
// (the note box of a customer's history).
document.addEventListener("keydown", (event) => {
  const el = event.target;
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  if (!el.matches || !el.matches("textarea[data-ctrl-enter='submit']") || !el.form) return;
  event.preventDefault();
  el.form.requestSubmit();
});

// Customers grid: a column filter panel takes focus when it opens; Escape or "Close" empties it
// and gives focus back to the header button that opened it. Escape also closes the columns
// chooser. Without this file "Close" is a link back to the list.
let filterOpener = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const el = event.detail.elt;
  if (el && el.classList && el.classList.contains("filter-button")) filterOpener = el;
});
document.addEventListener("htmx:afterSwap", (event) => {
  const panel = event.detail.target;
  if (!panel || panel.id !== "filter-panel") return;
  const search = panel.querySelector("#filter-search");
  if (search && document.activeElement === search) return; // typing in the panel's search
  const first = panel.querySelector("input:not([type=hidden]), button");
  if (first) first.focus();
});
function closeFilterPanel() {
  const panel = document.getElementById("filter-panel");
  if (!panel || !panel.querySelector("[data-filter-panel]")) return false;
  panel.innerHTML = "";
  if (filterOpener && document.body.contains(filterOpener)) filterOpener.focus();
  return true;
}
document.addEventListener("click", (event) => {
  const close = event.target.closest && event.target.closest("[data-filter-close]");
  if (close && closeFilterPanel()) event.preventDefault();
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (event.target.closest && event.target.closest("#filter-panel") && closeFilterPanel()) {
    event.preventDefault();
    return;
  }
  const chooser = event.target.closest && event.target.closest("details.popover[open]");
  if (chooser) {
    chooser.open = false;
    chooser.querySelector("summary").focus();
  }
});
