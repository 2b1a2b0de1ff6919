// The staff page's confirmation dialog. A destructive action's link loads its confirmation fragment
// with htmx (hx-get, hx-target="#potwierdzenie-tresc"); here the <dialog> around it opens as a modal,
// focus moves into it, Esc or "Anuluj" closes it and focus returns to the link that opened it.
// Without this script (or htmx) the link simply opens the same confirmation as a page.
(() => {
  const dialog = document.getElementById('potwierdzenie');
  const content = document.getElementById('potwierdzenie-tresc');
  if (!dialog || !content || typeof dialog.showModal !== 'function') return;
  let opener = null;

  const isOurs = (event) => event.detail && event.detail.target === content;

  document.addEventListener('htmx:beforeRequest', (event) => {
    if (isOurs(event)) opener = event.detail.elt;
  });
  document.addEventListener('htmx:afterSwap', (event) => {
    if (!isOurs(event)) return;
    if (!dialog.open) dialog.showModal();
    const heading = content.querySelector('#potwierdzenie-h');
    if (heading) heading.focus();
  });
  // the fragment could not be loaded (e.g. the assignment is gone): show the page, which says why
  const fallBack = (event) => {
    if (!isOurs(event)) return;
    const href = event.detail.elt && event.detail.elt.getAttribute('href');
    if (href) window.location.assign(href);
  };
  document.addEventListener('htmx:responseError', fallBack);
  document.addEventListener('htmx:sendError', fallBack);

  content.addEventListener('click', (event) => {
    if (event.target instanceof Element && event.target.closest('[data-dialog-close]')) {
      event.preventDefault();
      dialog.close();
    }
  });
  dialog.addEventListener('close', () => {
    content.replaceChildren();
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });
})();
