// The hub's service worker: it shows a push notice (content-free: the hub's name, a line
// saying a referral is waiting, a link to the inbox) and opens the inbox when it is tapped.
// Registered by the device page (web/src/pages/push.js) when a person turns notices on.
/* eslint-env serviceworker */
'use strict';

self.addEventListener('push', (event) => {
  let notice = { title: 'CCR Hub', body: 'A referral for your agency is waiting.', link: '/inbox' };
  try {
    notice = { ...notice, ...event.data.json() };
  } catch {
    // an empty or unreadable push still says something is waiting
  }
  event.waitUntil(self.registration.showNotification(notice.title, {
    body: notice.body, lang: notice.lang, tag: 'ccr-hub', renotify: true,
    requireInteraction: true, data: { link: notice.link },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const link = new URL(event.notification.data?.link || '/inbox', self.location.origin);
  if (link.origin !== self.location.origin) return; // only ever the hub's own inbox
  event.waitUntil(self.clients.openWindow(link.href));
});
