// The pages work without this script; it only spares people two small troubles.
"use strict";

// A post sent once stays sent: a double click on "Book" posts one request. (The server
// also takes each booking form's Idempotency-Key once, for a double click that races this.)
// A search (a GET form) changes nothing, so it may always be sent again.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.method !== "post") {
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.setAttribute("aria-busy", "true");
});

// A page shown again from the back-forward cache is as it was left, its forms marked sent:
// they are a new page's forms now.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  for (const form of document.querySelectorAll("form[data-sent]")) {
    delete form.dataset.sent;
    form.removeAttribute("aria-busy");
  }
});

// The desk's clock, in the clinic's zone (data-zone), ticking each second.
const clock = document.querySelector("[data-clock]");
if (clock) {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: clock.dataset.zone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const tick = () => { clock.textContent = format.format(new Date()); };
  tick();
  setInterval(tick, 1000);
}
