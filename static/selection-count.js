// A selection bar's count: the server writes how many boxes were ticked when the page was made (a link such as
// "Zaznacz wszystkie z filtra" ticks them); this keeps it true while boxes are ticked by hand. An element with
// data-count-checked="NAME" shows how many checkboxes of that name are ticked in its form.
(() => {
  for (const counter of document.querySelectorAll('[data-count-checked]')) {
    const form = counter.closest('form');
    if (!form) continue;
    const name = counter.getAttribute('data-count-checked');
    const update = () => {
      let n = 0;
      for (const box of form.elements) if (box.name === name && box.type === 'checkbox' && box.checked) n++;
      counter.textContent = String(n);
    };
    form.addEventListener('change', update);
    // a browser restoring the page from history keeps the boxes as they were left
    window.addEventListener('pageshow', update);
    update();
  }
})();
