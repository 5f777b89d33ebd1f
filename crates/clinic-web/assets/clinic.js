// The pages work without this script; it only spares people two small troubles.
"use strict";

// A form sent once stays sent: a double click on "Book" posts one request. (The server
// also takes each booking form's Idempotency-Key once, for a double click that races this.)
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.setAttribute("aria-busy", "true");
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
