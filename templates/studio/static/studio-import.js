// The subscriber import's forms (people page): a dry run of a large file reads and compares every row (a minute for
// 300 000 rows) before the report arrives, and so does the import itself. While the studio works, the form says so
// (role=status, with an indeterminate progress bar) and its button is not pressed twice; the page stays as it is,
// readable, and its links work. No request of its own: the form is sent as any form is.
"use strict";

(function () {
  for (const form of document.querySelectorAll("form[data-import-working]")) {
    form.addEventListener("submit", () => {
      const status = form.querySelector(".import-working");
      if (!status) return;
      status.hidden = false;
      status.querySelector(".import-working-text").textContent = form.dataset.importWorking;
      for (const button of form.querySelectorAll("button[type=submit]")) button.setAttribute("aria-disabled", "true");
      form.addEventListener("submit", (again) => again.preventDefault()); // sent once: a second press waits for the first
    }, { once: true });
  }
})();
