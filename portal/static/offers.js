// The tracking-link builder, progressively: the link (and the impression pixel) follow what you type.
// Without this file the Build link button asks the server for the same link and the page shows it.
"use strict";

(() => {
  const form = document.getElementById("link-form");
  const output = document.getElementById("tracking-link");
  if (!form || !output) return;
  const errorLine = document.getElementById("link-error");
  const pixel = document.getElementById("impression-pixel");
  const copy = document.getElementById("copy-link");
  let timer = null;
  let asked = 0;

  async function refresh() {
    const ticket = ++asked;
    const query = new URLSearchParams(new FormData(form));
    let response;
    let answer;
    try {
      response = await fetch(`${form.dataset.linkEndpoint}?${query}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      answer = await response.json();
    } catch (err) {
      return; // offline or signed out: keep the last link
    }
    if (ticket !== asked) return; // a newer keystroke already asked again
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    if (response.ok) {
      output.textContent = answer.url;
      if (pixel) pixel.textContent = answer.impression_code;
      errorLine.hidden = true;
      errorLine.textContent = "";
      copy.disabled = false;
    } else {
      output.textContent = "";
      errorLine.textContent = answer.error || "This link cannot be built.";
      errorLine.hidden = false;
      copy.disabled = true;
      const culprit = answer.field && form.querySelector(`[name="${answer.field}"]`);
      if (culprit) culprit.setAttribute("aria-invalid", "true");
    }
  }

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  });
  form.addEventListener("change", () => {
    clearTimeout(timer);
    refresh();
  });
})();
