// The postback form, progressively: show only the fields that apply, and re-render the preview as you type.
// Without this file every field is visible and the preview is the one the server drew when the page loaded.
"use strict";

(() => {
  const form = document.getElementById("postback-form");
  if (!form) return;

  // Elements marked data-show-when="name=value" are shown only while that radio is chosen.
  const toggles = document.querySelectorAll("[data-show-when]");
  function chosen(name) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
  }
  function applyToggles() {
    toggles.forEach((element) => {
      const [name, value] = element.dataset.showWhen.split("=");
      element.hidden = chosen(name) !== value;
    });
  }
  form.addEventListener("change", applyToggles);
  applyToggles();

  const output = document.getElementById("postback-preview");
  const errorLine = document.getElementById("postback-preview-error");
  const source = document.getElementById("preview-source");
  const urlField = form.querySelector("[name=url]");
  const offerField = form.querySelector("[name=offer_id]");
  const token = form.querySelector("[name=csrf_token]");
  if (!output || !urlField) return;

  let timer = null;
  let asked = 0;

  async function refresh() {
    const ticket = ++asked;
    const body = new FormData();
    body.append("url", urlField.value);
    body.append("offer_id", chosen("offers") === "one" && offerField ? offerField.value : "");
    body.append("postback_id", output.dataset.postbackId || "");
    const headers = { Accept: "application/json" };
    if (token) headers["X-CSRFToken"] = token.value;
    let answer;
    try {
      const response = await fetch(output.dataset.endpoint, {
        method: "POST", body, headers, credentials: "same-origin",
      });
      if (!response.ok) return;
      answer = await response.json();
    } catch (err) {
      return; // offline or signed out: keep the last preview
    }
    if (ticket !== asked) return; // a newer keystroke already asked again
    output.textContent = answer.url || "";
    const showError = Boolean(answer.error && urlField.value.trim());
    errorLine.textContent = showError ? answer.error : "";
    errorLine.hidden = !showError;
    if (source) {
      source.textContent = answer.source === "conversion"
        ? `Filled in with your most recent conversion ${answer.conversion_id}.`
        : "Filled in with sample values: no conversion of yours to use yet.";
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  urlField.addEventListener("input", later);

  // The URL box wraps a long URL on screen, but a URL is one line: Enter adds nothing, and line breaks that
  // come in with a paste are taken out (the server refuses any that still get through).
  urlField.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  urlField.addEventListener("input", () => {
    if (!/[\r\n]/.test(urlField.value)) return;
    const before = urlField.value.slice(0, urlField.selectionStart).replace(/[\r\n]+/g, "");
    urlField.value = urlField.value.replace(/[\r\n]+/g, "");
    urlField.setSelectionRange(before.length, before.length);
  });

  // Macro buttons insert their macro where the cursor was in the URL box (at the end if it was never
  // placed), replacing any selection. A pointer click leaves the cursor in the box, after the macro; a
  // keyboard press keeps focus on the button, so several can be added in a row, and says what was inserted.
  const status = document.getElementById("macro-status");
  let placed = false;
  ["click", "select", "input"].forEach((name) => urlField.addEventListener(name, () => { placed = true; }));
  urlField.addEventListener("keyup", (event) => {
    if (event.key !== "Tab" && event.key !== "Shift") placed = true; // tabbing in places nothing
  });
  document.querySelectorAll("[data-insert-macro]").forEach((button) => {
    button.disabled = false;
    button.addEventListener("click", (event) => {
      const macro = button.dataset.insertMacro;
      const start = placed ? urlField.selectionStart : urlField.value.length;
      const end = placed ? urlField.selectionEnd : urlField.value.length;
      urlField.setRangeText(macro, start, end, "end");
      placed = true;
      urlField.dispatchEvent(new Event("input", { bubbles: true }));
      if (event.detail > 0) {
        urlField.focus();
      } else if (status) {
        status.textContent = `Inserted ${macro} into the URL.`;
      }
    });
  });
  const hint = document.querySelector("[data-macro-hint]");
  if (hint) hint.hidden = false;
  if (offerField) offerField.addEventListener("change", later);
  form.querySelectorAll("input[name=offers]").forEach((radio) => radio.addEventListener("change", later));
})();
