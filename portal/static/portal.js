// Small progressive enhancements; every page works without this file (CSP forbids inline scripts).
"use strict";

// Narrow screens: the main navigation folds behind its menu button (the CSS shows the button only there).
document.querySelectorAll("[data-menu-toggle]").forEach((button) => {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  };
  menu.classList.add("foldable");
  button.hidden = false;
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
});

document.addEventListener("click", (event) => {
  // Close an open menu when clicking elsewhere.
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});

// A link with data-dialog opens that <dialog> instead of navigating (the link's page is the fallback).
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog]");
  if (opener) {
    const dialog = document.querySelector(opener.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden])");
      if (first) first.focus();
    }
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) closer.closest("dialog").close();
});

// Copy text to the clipboard and say so next to the button.
async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch (err) {
    const scratch = document.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.style.position = "fixed";
    scratch.style.opacity = "0";
    document.body.appendChild(scratch);
    scratch.select();
    ok = document.execCommand("copy");
    scratch.remove();
  }
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.textContent = ok ? "Copied!" : "Copy failed: select the key and copy it";
  button.classList.toggle("copied", ok);
  setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 2500);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-from]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copyFrom);
  if (source) copyText(source.value || source.textContent.trim(), button);
});

// Staff "Reveal": fetch the key (the server audits it) and show it in place, with a Copy button.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-reveal]");
  if (!form) return;
  event.preventDefault();
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const cell = form.closest(".key-cell");
  if (!response.ok) {
    cell.querySelector("[data-masked]").textContent = response.status === 403 ? "Forbidden" : "Could not reveal the key";
    return;
  }
  const { key } = await response.json();
  cell.querySelector("[data-masked]").textContent = key;
  form.hidden = true;
  const copy = cell.querySelector("[data-copy-key]");
  copy.hidden = false;
  copy.addEventListener("click", () => copyText(key, copy));
});

// Report and conversion forms: typing a date means a custom range, whatever preset was picked before.
document.addEventListener("input", (event) => {
  const input = event.target.closest("[data-custom-date]");
  if (!input) return;
  const preset = input.form && input.form.querySelector("[data-preset]");
  if (preset) preset.value = "custom";
});

// Exports are plain download links (the browser shows the progress); say that one has started.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-export]");
  if (!link) return;
  const note = link.closest("section")?.querySelector("[data-export-note]");
  if (note) {
    note.hidden = false;
    setTimeout(() => { note.hidden = true; }, 8000);
  }
});
