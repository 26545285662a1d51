// A live character counter under every text box with a limit (data-maxlength). The box itself
// has no maxlength: a browser would silently cut pasted text; the server says what is too long.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("textarea[data-maxlength]")) {
    const max = Number(box.dataset.maxlength);
    const counter = document.createElement("small");
    counter.className = "counter";
    counter.id = `${box.id}-counter`;
    counter.setAttribute("aria-live", "polite");
    box.setAttribute("aria-describedby", `${box.getAttribute("aria-describedby") || ""} ${counter.id}`.trim());
    box.insertAdjacentElement("afterend", counter);
    const update = () => {
      const used = box.value.length;
      const over = used - max;
      counter.textContent = over > 0
        ? `${used} / ${max} characters: ${over} too many, shorten it before sending`
        : `${used} / ${max} characters`;
      counter.classList.toggle("over", over > 0);
    };
    box.addEventListener("input", update);
    update();
  }
});
