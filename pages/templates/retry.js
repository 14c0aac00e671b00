(function () {
  // Counts down, then re-checks this URL; reloads only when the site answers without an edgepages
  // error (no meta refresh). Every wait, the first included, is Retry-After plus full jitter over
  // a range that doubles each time: never before Retry-After, and never a herd of visitors who
  // got the page at the same moment coming back in the same second.
  var box = document.getElementById('ep-retry');
  var now = document.getElementById('ep-now');
  var live = document.getElementById('ep-live');
  var count = document.getElementById('ep-count');
  if (!box || !now || !live || !count || !window.fetch) return;
  var d = box.dataset;
  var base = Math.max(1, parseInt(d.retryAfter, 10) || 10);
  var cap = Math.max(300, base * 4);
  var attempt = 0, due = 0, timer = 0, busy = false;
  var until = document.getElementById('ep-until');
  // With an end, Retry-After is the time left: jitter within a minute, as the server's.
  var spread = until ? 60 : cap;
  if (until && window.Intl) {
    try {
      until.textContent = new Date(until.getAttribute('datetime')).toLocaleString(document.documentElement.lang, { dateStyle: 'medium', timeStyle: 'short' });
    } catch (e) {}
  }
  function say(text, seconds) { return text.replace('{seconds}', seconds); }
  function tick() {
    var left = Math.max(0, Math.ceil((due - Date.now()) / 1000));
    count.textContent = say(d.retryIn, left);
    if (left <= 0) check(); else timer = setTimeout(tick, Math.min(1000, due - Date.now()));
  }
  function wait(seconds) {
    clearTimeout(timer);
    due = Date.now() + seconds * 1000;
    tick();
  }
  function back() {
    live.textContent = d.recovered;
    if (d.method === 'GET' || d.method === 'HEAD') location.reload();
    else location.replace(location.href.split('#')[0]);
  }
  function jittered() {
    var next = base + Math.round(Math.random() * Math.min(spread, base * Math.pow(2, attempt)));
    attempt += 1;
    return next;
  }
  function stillDown(r) {
    if (r && r.headers) base = parseInt(r.headers.get('retry-after'), 10) || base;
    var next = jittered();
    busy = false;
    live.textContent = say(d.stillDown, next);
    wait(next);
  }
  function check() {
    if (busy) return;
    busy = true;
    clearTimeout(timer);
    count.textContent = '';
    live.textContent = d.checking;
    fetch(location.href, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) {
        if (r.status < 500 && !r.headers.get('x-edgepages')) back(); else stillDown(r);
      }, stillDown);
  }
  now.addEventListener('click', function (e) { e.preventDefault(); check(); });
  box.hidden = false;
  wait(jittered());
})();
