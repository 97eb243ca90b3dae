// The table's bulk edit (templates/collabs/_bulk_form.html): "select all" ticks every row the person
// may edit, and the form's title counts the ticked rows. The rows' checkboxes belong to the form
// through their form="bulk-form" attribute, so the form works without this script.
(() => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = document.getElementById("bulk-all");
  const count = document.getElementById("bulk-count");
  const boxes = () => Array.from(document.querySelectorAll('input[name="task"][form="bulk-form"]'));
  const update = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    count.textContent = ticked ? `(${ticked})` : "";
    if (all) {
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
  };
  if (all) {
    all.hidden = false;
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
      update();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches('input[name="task"]')) update();
  });
  document.addEventListener("htmx:afterSwap", update);
  update();
})();
