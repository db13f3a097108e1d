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
  button.textContent = ok ? "Copied!" : `Copy failed: select the ${button.dataset.copyWhat || "key"} and copy it`;
  button.classList.toggle("copied", ok);
  setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 2500);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-from]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copyFrom);
  if (source) copyText(source.value || source.textContent.trim(), button);
});

// Staff "Reveal": fetch the key (the server audits it) and show it in place, with a Copy button; without a recent
// confirmation of the staff member's identity the server answers 401 and the page goes to that confirmation.
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
  if (response.status === 401) {
    // Not confirmed recently: confirm your identity first, then come back to this page and reveal again.
    const { confirm_url: confirmUrl } = await response.json().catch(() => ({}));
    if (confirmUrl && confirmUrl.startsWith("/")) {
      window.location.assign(confirmUrl);
      return;
    }
  }
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

// Charts drawn for every metric at once: show one at a time, switched by buttons (the dashboard's trend) or by a
// select (the report's Chart field) without asking the server again. Without this script every chart shows
// (dashboard) or the form's Run report draws the chosen one (reports).
function showChart(scope, key) {
  scope.querySelectorAll("[data-chart]").forEach((figure) => { figure.hidden = figure.dataset.chart !== key; });
}

document.querySelectorAll("[data-chart-switch]").forEach((group) => {
  const scope = group.closest("section");
  const pick = (key) => {
    showChart(scope, key);
    group.querySelectorAll("[data-show-chart]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.showChart === key));
    });
  };
  group.hidden = false;
  const first = group.querySelector("[data-show-chart][aria-pressed=true]") || group.querySelector("[data-show-chart]");
  if (first) pick(first.dataset.showChart);
  group.addEventListener("click", (event) => {
    const button = event.target.closest("[data-show-chart]");
    if (button) pick(button.dataset.showChart);
  });
});

document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-chart-select]");
  if (!select) return;
  const scope = document.querySelector(select.dataset.chartSelect);
  if (!scope || !scope.querySelector(`[data-chart="${CSS.escape(select.value)}"]`)) return;
  showChart(scope, select.value);
  const url = new URL(window.location.href);  // so that a reload or a bookmark keeps the chart
  url.searchParams.set("metric", select.value);
  window.history.replaceState(null, "", url);
});

// Picking a date preset fills From and To at once, with the server's rule: local days in the chosen timezone
// (the account's own when the timezone field is empty), the rolling presets including today.
const PRESET_DAYS = {
  today: (t) => [t, t],
  yesterday: (t) => [addDays(t, -1), addDays(t, -1)],
  last_7_days: (t) => [addDays(t, -6), t],
  last_30_days: (t) => [addDays(t, -29), t],
  this_month: (t) => [new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1)), t],
  last_month: (t) => [new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - 1, 1)),
                      new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 0))],
};

function addDays(day, n) {
  return new Date(day.getTime() + n * 86400000);
}

function todayIn(zone) {
  // en-CA writes dates as YYYY-MM-DD; the result is that calendar day at 00:00 UTC, for date arithmetic only.
  const text = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
  return new Date(`${text}T00:00:00Z`);
}

function fillPreset(form) {
  const preset = form.querySelector("[data-preset]");
  const days = PRESET_DAYS[preset.value];
  if (!days) return;  // custom: the dates stay as typed
  const zoneField = form.querySelector("select[name=timezone]");
  const zone = (zoneField && zoneField.value) || (zoneField && zoneField.dataset.ownZone) || "UTC";
  let today;
  try {
    today = todayIn(zone);
  } catch (err) {
    return;  // a zone this browser does not know: the server fills the dates when the form is sent
  }
  const [first, last] = days(today);
  form.querySelector("input[name=from]").value = first.toISOString().slice(0, 10);
  form.querySelector("input[name=to]").value = last.toISOString().slice(0, 10);
}

document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-preset], select[name=timezone]");
  if (field && field.form && field.form.querySelector("[data-preset]")) fillPreset(field.form);
});

// On a phone, a form's filters fold away while none is set, so that the results come sooner (the summary
// opens them again).
if (window.matchMedia("(max-width: 760px)").matches) {
  document.querySelectorAll("details[data-fold-on-phone]").forEach((fold) => { fold.open = false; });
}
