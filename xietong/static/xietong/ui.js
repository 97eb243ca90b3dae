// The design system's small behaviours (docs/design-system.md), all progressive enhancement:
// without JavaScript every page still works (messages stay in the page, hx-confirm falls back to
// the browser's confirm, menus are plain <details>, tables carry the labels templates gave them).
//  1. toasts: Django messages (ul.flash) become toasts; success / info leave after a few seconds,
//     warnings and errors stay until closed.
//  2. dialogs: htmx's hx-confirm and forms with data-confirm ask in a <dialog> (from the
//     <template id="xt-confirm"> of base.html, whose words are translated).
//  3. menus: an open <details class="xt-menu"> closes on Escape and on a click elsewhere.
//  4. table cards on phones: a cell without data-label gets its column header's text.
// A static file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  var STAY_MS = 6000;

  // ---- 1. toasts
  function toastify(root) {
    var lists = (root || document).querySelectorAll ? Array.prototype.slice.call((root || document).querySelectorAll("ul.flash")) : [];
    if (root && root.matches && root.matches("ul.flash")) lists.push(root);
    Array.prototype.forEach.call(lists, function (list) {
      if (list.classList.contains("xt-toasts")) return;
      list.classList.add("xt-toasts");
      var words = document.getElementById("xt-confirm");
      var closeLabel = (words && words.getAttribute("data-close-label")) || "×";
      Array.prototype.forEach.call(list.children, function (item) {
        var lasting = item.classList.contains("error") || item.classList.contains("warning");
        if (lasting) item.setAttribute("role", "alert");
        var text = document.createElement("span");
        text.className = "xt-toast-text";
        while (item.firstChild) text.appendChild(item.firstChild);
        item.appendChild(text);
        var close = document.createElement("button");
        close.type = "button";
        close.className = "xt-toast-close";
        close.setAttribute("aria-label", closeLabel);
        close.textContent = "×";
        close.addEventListener("click", function () { item.classList.add("xt-gone"); });
        item.appendChild(close);
        if (!lasting) {
          var timer = null;
          var arm = function () { timer = window.setTimeout(function () { item.classList.add("xt-gone"); }, STAY_MS); };
          var hold = function () { if (timer) window.clearTimeout(timer); timer = null; };
          item.addEventListener("mouseenter", hold);
          item.addEventListener("focusin", hold);
          item.addEventListener("mouseleave", arm);
          item.addEventListener("focusout", arm);
          arm();
        }
      });
    });
  }

  // ---- 2. confirmation dialogs
  function ask(question, onYes) {
    var template = document.getElementById("xt-confirm");
    if (!template || typeof HTMLDialogElement === "undefined") {
      if (window.confirm(question)) onYes();
      return;
    }
    var dialog = template.content.firstElementChild.cloneNode(true);
    dialog.querySelector(".xt-dialog-message").textContent = question;
    document.body.appendChild(dialog);
    var opener = document.activeElement;
    dialog.addEventListener("close", function () {
      var yes = dialog.returnValue === "yes";
      dialog.remove();
      if (opener && opener.focus && document.contains(opener)) opener.focus();
      if (yes) onYes();
    });
    dialog.showModal();
    var cancel = dialog.querySelector("[value=no]");
    if (cancel) cancel.focus();
  }
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail && event.detail.question;
    if (!question) return;
    event.preventDefault();
    ask(question, function () { event.detail.issueRequest(true); });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm") || form.hasAttribute("hx-post")) return;
    if (form.dataset.confirmed === "1") return;
    event.preventDefault();
    var submitter = event.submitter || null;
    ask(form.getAttribute("data-confirm"), function () {
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
    });
  });

  // ---- 3. menus
  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll("details.xt-menu[open]"), function (menu) {
      if (menu !== except && !menu.contains(except)) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.xt-menu") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.activeElement && document.activeElement.closest && document.activeElement.closest("details.xt-menu[open]");
    if (open) {
      open.removeAttribute("open");
      var summary = open.querySelector("summary");
      if (summary) summary.focus();
    }
  });

  // ---- 3b. a link to a closed <details> (an empty state's "add" link) opens it
  function openTarget(hash) {
    if (!hash || hash.length < 2) return;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (target && target.tagName === "DETAILS" && !target.open) target.open = true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (link) openTarget(link.getAttribute("href"));
  });
  window.addEventListener("hashchange", function () { openTarget(window.location.hash); });

  // ---- 4. labels for table cells shown as cards on phones
  function label(root) {
    var around = root && root.closest ? root.closest("table.grid") : null;  // a row swapped into a table
    var tables = around ? [around] : (root || document).querySelectorAll ? (root || document).querySelectorAll("table.grid") : [];
    Array.prototype.forEach.call(tables, function (table) {
      var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
      // compact tables stay tables on phones (dashboards.css)
      if (!head || table.classList.contains("compact")) return;
      var names = [];
      Array.prototype.forEach.call(head.cells, function (cell) {
        var text = cell.textContent.replace(/\s+/g, " ").trim();
        for (var i = 0; i < (cell.colSpan || 1); i++) names.push(text);
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var at = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            var span = cell.colSpan || 1;
            if (span === 1 && names[at] && !cell.hasAttribute("data-label") && cell.tagName === "TD") {
              cell.setAttribute("data-label", names[at]);
            }
            at += span;
          });
        });
      });
    });
  }

  function setUp(root) {
    toastify(root);
    label(root);
    if (root === document) openTarget(window.location.hash);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
  // content swapped in by htmx gets the same treatment
  document.addEventListener("htmx:load", function (event) {
    var target = event.target;
    setUp(target && target.nodeType === 1 ? target : document);
  });
})();
