// Live updates for the stalled-referral queue: when the server says the queue changed,
// fetch the table again (same filters) and swap it in. Loaded as a file: no inline script.
"use strict";
(function () {
  const queue = document.getElementById("queue");
  if (!queue || !window.EventSource) return;
  const events = new EventSource(queue.dataset.live);
  // The first event comes when the stream opens: fetching then too catches any change
  // between rendering the page and connecting.
  events.addEventListener("queue", async function () {
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
