// Live updates for the stalled-referral queue: when the server says the queue changed,
// fetch the table again (same filters) and swap it in. Loaded as a file: no inline script.
"use strict";
(function () {
  const queue = document.getElementById("queue");
  if (!queue || !window.EventSource) return;
  const events = new EventSource(queue.dataset.live);
  let first = true;
  events.addEventListener("queue", async function () {
    if (first) { first = false; return; }  // the page already shows this state
    const answer = await fetch(queue.dataset.rows, { credentials: "same-origin" });
    if (answer.ok) {
      queue.innerHTML = await answer.text();
      queue.dataset.updated = String(Date.now());
    }
  });
  events.addEventListener("signed-out", function () {
    events.close();
    window.location.assign("/signin");
  });
})();
