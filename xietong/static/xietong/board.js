// The board (任务看板, templates/collabs/board.html): drag a card to another column of its lane and
// its new status is posted to collabs:board_move with the version the card was drawn at; the answer
// is the card as saved (200), or as it is now when someone changed it meanwhile (409): either way the
// card is put where its status says. A move to 阻塞 first asks for the reason in a dialog (the table's
// rule). The card's "移到…" form works without this script; with it, a move to 阻塞 asks in the
// same dialog instead of a page of its own.
(() => {
  const board = document.querySelector(".board-page");
  const dialog = document.getElementById("blocked-dialog");
  if (!board || !dialog) return;
  const texts = document.getElementById("board-texts").dataset;
  const live = document.getElementById("board-live");
  const reasonBox = document.getElementById("blocked-reason");
  const errorBox = document.getElementById("blocked-error");

  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  };

  const say = (text) => {
    live.textContent = text;
  };

  const recount = () => {
    for (const list of board.querySelectorAll(".board-cards")) {
      const lane = list.closest(".board-lane").dataset.lane;
      const count = board.querySelector(`[data-count-of="${lane}-${list.dataset.status}"]`);
      // Cards past the column's first ones are not drawn (data-more): counted all the same.
      if (count) count.textContent = String(list.children.length + Number(list.dataset.more || 0));
    }
  };

  // Put the card the server answered with where its status says, in the lane it was in.
  const place = (card, html) => {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    const fresh = holder.content.firstElementChild;
    if (!fresh) return card;
    const lane = card.closest(".board-lane");
    const list = lane.querySelector(`.board-cards[data-status="${fresh.dataset.status}"]`);
    if (list && card.parentElement !== list) {
      card.remove();
      list.prepend(fresh);
    } else {
      card.replaceWith(fresh);
    }
    recount();
    return fresh;
  };

  const send = async (card, status, reason) => {
    const body = new URLSearchParams({
      status,
      version: card.dataset.version,
      blocked_reason: reason || "",
      group: card.dataset.group || "",
    });
    const response = await fetch(card.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "HX-Request": "true" },
      body,
    });
    return { status: response.status, text: await response.text() };
  };

  // Ask for the reason of a block; resolves to the reason, or null when cancelled.
  let answer = null;
  const askReason = () =>
    new Promise((resolve) => {
      answer = resolve;
      reasonBox.value = "";
      errorBox.hidden = true;
      dialog.showModal();
      reasonBox.focus();
    });
  document.getElementById("blocked-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = reasonBox.value.trim();
    if (!reason) {
      errorBox.textContent = texts.blockedNeeded;
      errorBox.hidden = false;
      reasonBox.focus();
      return;
    }
    dialog.close();
    if (answer) answer(reason);
    answer = null;
  });
  const cancel = () => {
    if (dialog.open) dialog.close();
    if (answer) answer(null);
    answer = null;
  };
  document.getElementById("blocked-cancel").addEventListener("click", cancel);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    cancel();
  });

  // Move ``card`` to ``status``; ``undo`` puts it back when nothing was saved.
  const move = async (card, status, undo) => {
    let reason = "";
    if (status === "blocked") {
      reason = await askReason();
      if (reason === null) {
        undo();
        return;
      }
    }
    try {
      const result = await send(card, status, reason);
      if (result.status === 200 || result.status === 409) {
        const fresh = place(card, result.text);
        const list = fresh.closest(".board-cards");
        if (result.status === 200) say(`${texts.moved} ${list ? list.dataset.label : ""}`);
        const select = fresh.querySelector("select");
        if (select) select.focus();
        return;
      }
      undo();
      say(result.status === 422 ? result.text : texts.failed);
    } catch {
      undo();
      say(texts.failed);
    }
  };

  // Drag and drop: one group per lane (a card changes its column, never its department or assignee).
  if (window.Sortable) {
    for (const lane of board.querySelectorAll(".board-lane")) {
      for (const list of lane.querySelectorAll(".board-cards")) {
        window.Sortable.create(list, {
          group: `lane-${lane.dataset.lane}`,
          draggable: ".movable",
          filter: "select, button, input, label, a",
          preventOnFilter: false,
          animation: 150,
          onEnd: (event) => {
            if (event.from === event.to) return;
            const card = event.item;
            const undo = () => {
              event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
              recount();
            };
            recount();
            move(card, event.to.dataset.status, undo);
          },
        });
      }
    }
  }

  // The card's "移到…" form: a move to 阻塞 asks for the reason here rather than on a page of its own.
  board.addEventListener("submit", (event) => {
    const form = event.target.closest(".board-move");
    if (!form || form.elements.status.value !== "blocked") return;
    event.preventDefault();
    const card = form.closest(".board-card");
    move(card, "blocked", () => form.elements.status.focus());
  });
})();
