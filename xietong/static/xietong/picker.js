// People pickers (templates/orgs/_picker.html): a result of the live search fills the hidden person id
// and the name; typing over the name clears the id, so a changed name is resolved again on submit.
// Without JavaScript nothing here runs and the typed name is resolved on submit.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-pick-id]");
  const picker = button && button.closest("[data-picker]");
  if (!picker) return;
  const id = picker.querySelector("[data-picker-id]");
  const text = picker.querySelector("[data-picker-text]");
  if (id) id.value = button.dataset.pickId;
  if (text) {
    text.value = button.dataset.pickName;
    text.focus();
  }
  picker.querySelector(".picker-results").replaceChildren();
});
document.addEventListener("input", (event) => {
  const text = event.target.closest && event.target.closest("[data-picker-text]");
  const id = text && text.closest("[data-picker]").querySelector("[data-picker-id]");
  if (id) id.value = "";
});
// A search still waiting for its delay when the form is submitted would only be cut off by the
// page being left: it is not sent at all.
let leaving = false;
document.addEventListener("submit", (event) => {
  if (!event.defaultPrevented) leaving = true; // a form htmx handles stays on the page
});
window.addEventListener("pageshow", () => {
  leaving = false;
});
document.addEventListener("htmx:beforeRequest", (event) => {
  if (leaving && event.target.closest && event.target.closest("[data-picker]")) event.preventDefault();
});
