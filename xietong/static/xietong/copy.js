// Copy buttons: <button data-copy="input-id" hidden>. Without JavaScript the button stays
// hidden and the read-only field is selected and copied by hand.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    field.select();
    navigator.clipboard.writeText(field.value).then(() => {
      button.textContent = button.dataset.copied || button.textContent;
    });
  });
});
