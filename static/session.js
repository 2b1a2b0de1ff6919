// Keeps a staff session alive while a form is being filled in, and warns before it ends.
// While any field of a form on the page changes, POST /session/keepalive is called at most every few
// minutes (the server moves the idle limit on; the absolute limit still applies). When nobody has
// typed for a while, a warning (role="alert") offers "Przedłuż sesję" two minutes before the end.
// Without this script nothing breaks: a form sent after the session ended is kept on the server and
// shown back after logging in again (src/auth/kept-forms.ts).
(() => {
  const script = document.currentScript;
  const main = document.getElementById('tresc');
  if (!script || !main || typeof fetch !== 'function') return;
  const idleMs = Number(script.dataset.idleSeconds) * 1000;
  let absoluteEnd = Date.now() + Number(script.dataset.remainingSeconds) * 1000;
  if (!(idleMs > 0) || Number.isNaN(absoluteEnd)) return;

  const warnBefore = Math.min(2 * 60_000, idleMs / 2);
  const pingEvery = Math.min(4 * 60_000, idleMs / 3);
  // when the server last saw this page (its own load): the idle limit counts from here
  let lastContact = Date.now();
  let pingTimer = null;
  let warnTimer = null;
  let endTimer = null;
  let pinging = false;
  let ended = false;
  let returnFocus = null;

  // the live region is in the page from the start (empty), so filling it is announced
  const box = document.createElement('div');
  box.className = 'session-warning';
  box.setAttribute('role', 'alert');
  main.prepend(box);

  // whole minutes, rounded up: "za 2 minuty" however late the timer fired within them
  const minutes = (ms) => {
    if (ms < 60_000) return 'niecałą minutę';
    const n = Math.ceil(ms / 60_000);
    if (n === 1) return '1 minutę';
    const lastTwo = n % 100;
    const last = n % 10;
    return `${n} ${last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14) ? 'minuty' : 'minut'}`;
  };

  const show = (texts, withButton) => {
    const nodes = texts.map((text) => {
      const p = document.createElement('p');
      p.textContent = text;
      return p;
    });
    if (withButton) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Przedłuż sesję';
      button.addEventListener('click', () => ping(true));
      nodes.push(button);
    }
    box.replaceChildren(...nodes);
  };

  const hide = () => {
    const hadFocus = box.contains(document.activeElement);
    box.replaceChildren();
    if (hadFocus) (returnFocus && returnFocus.isConnected ? returnFocus : main).focus();
  };

  const warn = (byAbsoluteLimit) => {
    if (ended) return;
    const active = document.activeElement;
    returnFocus = active && active !== document.body && !box.contains(active) ? active : null;
    const left = minutes(Math.min(lastContact + idleMs, absoluteEnd) - Date.now());
    if (byAbsoluteLimit)
      show(
        [
          `Twoja sesja wygaśnie za ${left} i nie można jej już przedłużyć (minął najdłuższy czas od zalogowania).`,
          'Zapisz teraz swoją pracę. Tekst wysłany po wygaśnięciu sesji wróci do formularza po ponownym zalogowaniu.',
        ],
        false,
      );
    else show([`Twoja sesja wygaśnie za ${left}.`], true);
  };

  const showEnded = () => {
    ended = true;
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    show(
      [
        'Sesja wygasła.',
        'Wpisany tekst nie przepadnie: wyślij formularz, zaloguj się ponownie, a tekst wróci do formularza.',
      ],
      false,
    );
  };

  const schedule = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    const idleEnd = lastContact + idleMs;
    const end = Math.min(idleEnd, absoluteEnd);
    warnTimer = setTimeout(() => warn(absoluteEnd <= idleEnd), Math.max(0, end - warnBefore - Date.now()));
    endTimer = setTimeout(showEnded, Math.max(0, end - Date.now()));
  };

  const csrfToken = () => {
    const input = document.querySelector('input[name="_csrf"]');
    return input ? input.value : '';
  };

  function ping(fromButton) {
    if (pinging || ended) return;
    pinging = true;
    const sentAt = Date.now();
    fetch('/session/keepalive', {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrfToken(), Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    })
      .then((res) => {
        if (res.status === 401) {
          showEnded();
          return null;
        }
        return res.ok ? res.json() : null;
      })
      .then((data) => {
        if (!data || !data.signedIn) return;
        lastContact = sentAt;
        absoluteEnd = sentAt + data.remainingSeconds * 1000;
        if (fromButton || box.firstChild) hide();
        schedule();
      })
      .catch(() => {
        // offline for a moment: the next edit tries again
      })
      .finally(() => {
        pinging = false;
      });
  }

  // an edit in any form that sends something: extend the session, at most every `pingEvery`
  const edited = (event) => {
    const field = event.target;
    if (ended || !field || !field.form || field.form.method !== 'post') return;
    if (pingTimer) return;
    const wait = lastContact + pingEvery - Date.now();
    if (wait <= 0) ping(false);
    else
      pingTimer = setTimeout(() => {
        pingTimer = null;
        ping(false);
      }, wait);
  };
  // a draft's autosave found the session ended, or the page's token stale (src/auth/kept-forms.ts)
  document.body.addEventListener('session-ended', showEnded);
  document.body.addEventListener('form-expired', () => {
    ended = true;
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    show(
      [
        'Szkic nie zapisuje się już automatycznie: formularz wygasł (na przykład po zalogowaniu w innej karcie).',
        'Wyślij formularz – wpisany tekst zostanie zachowany i wróci do formularza.',
      ],
      false,
    );
  });
  document.addEventListener('input', edited);
  document.addEventListener('change', edited);
  // an htmx request reached the server too (any request moves the idle limit on)
  document.addEventListener('htmx:afterRequest', (event) => {
    if (event.detail && event.detail.successful) {
      lastContact = Date.now();
      schedule();
    }
  });

  schedule();
})();
