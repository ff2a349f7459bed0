// Lawha's script: progressive enhancement only. Every page works without it; it adds
//  - live rows on the audit log and live lines on a job's log (Server-Sent Events),
//  - a refresh of the dashboard's host figures every 10 s and of a backup run's status while it runs, and
//  - a confirmation before buttons marked data-confirm submit their form.
// No framework, no third-party code, nothing inline (the CSP allows scripts from 'self' only).
// Text from the server is only ever inserted with textContent, never as HTML.
(function () {
  "use strict";

  // Confirmation: <button data-confirm="Revoke this token?">. The question comes from the page, so it is
  // already translated. A click is what submits a form, also for the Enter key, so one listener suffices.
  var CONFIRMABLE = "button[data-confirm], input[type=submit][data-confirm], input[type=image][data-confirm]";

  function onConfirmClick(event) {
    var target = event.target;
    var button = target && target.closest ? target.closest(CONFIRMABLE) : null;
    if (!button) {
      return;
    }
    if (!window.confirm(button.getAttribute("data-confirm") || "")) {
      event.preventDefault();
      event.stopPropagation();
    }
  }

  // Live audit rows. The table (or an element around it) carries data-live="audit"; optional attributes:
  //   data-live-src  the stream's URL (default: the UI's prefix, then /api/v1/events/stream)
  //   data-live-max  how many rows the table keeps (default 200)
  // Rows rendered by the server carry data-position, so an event is never shown twice.
  var DEFAULT_STREAM = "/api/v1/events/stream";
  var MIN_DELAY_MS = 1000;
  var MAX_DELAY_MS = 60000;
  var NATIVE_RETRIES = 3;

  // A new EventSource cannot send Last-Event-ID, so the position reached so far also travels as ?after=N: the
  // server replays what came after it (up to 1000 events), so nothing between the page and the stream is lost.
  function withAfter(url, position) {
    if (!position) {
      return url;
    }
    return url + (url.indexOf("?") === -1 ? "?" : "&") + "after=" + encodeURIComponent(String(position));
  }

  // Keeps an EventSource open: makeUrl() names the URL to (re)connect to, listen(source) adds the page's
  // listeners. While the browser retries by itself it sends Last-Event-ID, so the server resumes without a gap:
  // short interruptions are left to it. When it gives up (an HTTP error, a proxy's error page) or keeps
  // failing, this reconnects on its own schedule with a growing, jittered delay.
  function keepOpen(makeUrl, listen) {
    var failures = 0;
    var source = null;
    var timer = null;

    function connect() {
      timer = null;
      source = new window.EventSource(makeUrl());
      source.addEventListener("open", function () {
        failures = 0;
      });
      listen(source);
      source.addEventListener("error", function () {
        failures += 1;
        if (source.readyState !== window.EventSource.CLOSED && failures < NATIVE_RETRIES) {
          return;
        }
        source.close();
        source = null;
        var delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * Math.pow(2, failures - 1));
        timer = window.setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
      });
    }

    window.addEventListener("pagehide", function () {
      if (source) {
        source.close();
      }
      if (timer) {
        window.clearTimeout(timer);
      }
    });
    connect();
  }

  function startLiveAudit(root) {
    var table = root.tagName === "TABLE" ? root : root.querySelector("table");
    var body = table ? table.tBodies[0] || table.createTBody() : null;
    if (!body || typeof window.EventSource !== "function") {
      return;
    }
    var url = root.getAttribute("data-live-src") || uiPrefix() + DEFAULT_STREAM;
    var maxRows = parseInt(root.getAttribute("data-live-max") || "200", 10) || 200;
    var lang = document.documentElement.getAttribute("lang") || "en";
    var lastPosition = highestPosition(body);

    keepOpen(function () {
      return withAfter(url, lastPosition);
    }, function (source) {
      source.addEventListener("message", function (message) {
        var event;
        try {
          event = JSON.parse(message.data);
        } catch (ignored) {
          return;
        }
        if (!event || typeof event.position !== "number" || event.position <= lastPosition) {
          return;
        }
        lastPosition = event.position;
        prependRow(body, event, lang, maxRows);
      });
    });
  }

  // Live job log. The job page's list carries data-live="job-log", data-job (the job's id) and
  // data-log-after (the id of the last line it shows). The event stream with ?job= sends each new line of that
  // job as a "job_log" event; lines carry their id, so none is shown twice, and a reconnection asks for the
  // lines after the last one shown. The list keeps at most MAX_LOG_LINES lines.
  var MAX_LOG_LINES = 2000;

  function startLiveJobLog(list) {
    var job = list.getAttribute("data-job") || "";
    if (!/^[0-9a-fA-F-]{36}$/.test(job) || typeof window.EventSource !== "function") {
      return;
    }
    var lang = document.documentElement.getAttribute("lang") || "en";
    var lastId = parseInt(list.getAttribute("data-log-after") || "0", 10) || 0;
    var attemptWord = list.getAttribute("data-attempt-label") || "";

    keepOpen(function () {
      return uiPrefix() + DEFAULT_STREAM + "?job=" + encodeURIComponent(job) + "&log_after=" + String(lastId);
    }, function (source) {
      source.addEventListener("job_log", function (message) {
        var line;
        try {
          line = JSON.parse(message.data);
        } catch (ignored) {
          return;
        }
        if (!line || typeof line.id !== "number" || line.id <= lastId) {
          return;
        }
        lastId = line.id;
        appendLogLine(list, line, lang, attemptWord);
      });
    });
  }

  function appendLogLine(list, line, lang, attemptWord) {
    var empty = document.querySelector("[data-log-empty]");
    if (empty) {
      empty.parentNode.removeChild(empty);
    }
    var item = document.createElement("li");
    item.setAttribute("data-log-id", String(line.id));
    item.className = "is-new";
    var attempt = document.createElement("span");
    attempt.className = "job-log__attempt";
    var number = formatNumber(line.attempt, lang);
    attempt.textContent = attemptWord ? attemptWord.replace("{attempt}", number) : number;
    var time = document.createElement("time");
    var when = new Date(line.at);
    time.setAttribute("datetime", String(line.at || ""));
    time.textContent = isNaN(when.getTime()) ? String(line.at || "") : formatTime(when, lang);
    var text = document.createElement("span");
    text.className = "job-log__line";
    // `text` is the line in the page's language; `line` the English of clients that predate it.
    var shown = line.text === undefined ? line.line : line.text;
    text.textContent = String(shown === undefined ? "" : shown);
    item.appendChild(attempt);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(time);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(text);
    list.appendChild(item);
    while (list.children.length > MAX_LOG_LINES) {
      list.removeChild(list.firstElementChild);
    }
  }

  // The path prefix the UI lives under (the security entrance, such as "/k8Jd02xQ"), or "" at the root.
  // base.html writes it on <body data-prefix>; every URL the script builds starts with it.
  function uiPrefix() {
    var prefix = document.body ? document.body.getAttribute("data-prefix") || "" : "";
    return /^\/[A-Za-z0-9_-]+$/.test(prefix) ? prefix : "";
  }

  function highestPosition(body) {
    var highest = 0;
    var rows = body.querySelectorAll("tr[data-position]");
    for (var i = 0; i < rows.length; i += 1) {
      var position = parseInt(rows[i].getAttribute("data-position"), 10);
      if (position > highest) {
        highest = position;
      }
    }
    return highest;
  }

  function cell(row, className, text) {
    var td = document.createElement("td");
    td.className = className;
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
    return td;
  }

  function timeCell(row, recordedAt, lang) {
    var td = cell(row, "time", "");
    var when = new Date(recordedAt);
    var time = document.createElement("time");
    time.setAttribute("datetime", String(recordedAt));
    time.textContent = isNaN(when.getTime()) ? String(recordedAt || "") : formatTime(when, lang);
    td.appendChild(time);
  }

  // The server writes "25 Nov 2026, 18:30 UTC" and "٢٥ نوفمبر ٢٠٢٦، ١٨:٣٠ UTC"; these Intl locales give the
  // same text (en-GB for the day-month order, Arabic-Indic digits asked for explicitly).
  var INTL_LOCALES = { en: "en-GB", ar: "ar-u-nu-arab" };

  function formatTime(when, lang) {
    try {
      return new Intl.DateTimeFormat(INTL_LOCALES[lang] || lang, {
        day: "numeric",
        month: "short",
        year: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZone: "UTC"
      }).format(when) + " UTC";
    } catch (ignored) {
      return when.toISOString();
    }
  }

  function formatNumber(value, lang) {
    try {
      return new Intl.NumberFormat(INTL_LOCALES[lang] || lang).format(value);
    } catch (ignored) {
      return String(value);
    }
  }

  function prependRow(body, event, lang, maxRows) {
    var empty = body.querySelector("tr[data-empty]");
    if (empty) {
      empty.parentNode.removeChild(empty);
    }
    var row = document.createElement("tr");
    row.setAttribute("data-position", String(event.position));
    row.className = "is-new";
    timeCell(row, event.recorded_at, lang);
    cell(row, "actor", event.actor);
    cell(row, "ip", event.ip);
    cell(row, "action", event.event_type);
    cell(row, "target", event.stream);
    cell(row, "summary", event.summary);
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > maxRows) {
      body.deleteRow(body.rows.length - 1);
    }
  }

  // Sections that refresh themselves. The dashboard's host figures carry data-live="system" (every 10 s); a
  // backup run under way carries data-live="refresh" (every 2 s). Each carries data-live-src (the page's own
  // URL): the script fetches that page and puts the fresh section in place of the old one.
  // The page rather than the JSON API: the numbers, units, digits and descriptions are then written by the
  // server in the page's language, exactly as on first load (the dashboard's page with a full hour is several
  // times smaller than the JSON of that hour). The fetched document comes from our own origin and is parsed
  // inert (DOMParser runs no script, and the CSP still applies); only that one section is taken from it.
  // Hidden tabs do not poll. A "refresh" section that comes back without data-live has finished (the run
  // completed or failed): the page is loaded again once, so its actions follow the new state.
  var LIVE_SECTIONS = { system: 10000, refresh: 2000 };

  function startLiveSection(kind) {
    if (typeof window.fetch !== "function" || typeof window.DOMParser !== "function") {
      return;
    }
    var every = LIVE_SECTIONS[kind];
    var selector = '[data-live="' + kind + '"]';
    var stopped = false;

    function refresh() {
      var current = document.querySelector(selector);
      if (stopped || !current) {
        return;
      }
      if (document.visibilityState === "hidden") {
        window.setTimeout(refresh, every);
        return;
      }
      var url = current.getAttribute("data-live-src") || window.location.pathname;
      window.fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          // Signed out meanwhile (the sign-in page answers instead) or a server error: stop, keep what is shown.
          if (!response.ok || response.redirected) {
            stopped = true;
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (!html) {
            return;
          }
          var parsed = new window.DOMParser().parseFromString(html, "text/html");
          var fresh = parsed.querySelector(selector);
          var shown = document.querySelector(selector);
          if (fresh && shown) {
            shown.parentNode.replaceChild(document.importNode(fresh, true), shown);
          } else if (!fresh && kind === "refresh") {
            stopped = true;
            window.location.reload();
          }
        })
        .catch(function () {
          // A network error: try again at the next tick.
        })
        .then(function () {
          if (!stopped) {
            window.setTimeout(refresh, every);
          }
        });
    }

    window.setTimeout(refresh, every);
  }

  function init() {
    document.addEventListener("click", onConfirmClick, true);
    var live = document.querySelectorAll('[data-live="audit"]');
    for (var i = 0; i < live.length; i += 1) {
      startLiveAudit(live[i]);
    }
    var logs = document.querySelectorAll('[data-live="job-log"]');
    for (var j = 0; j < logs.length; j += 1) {
      startLiveJobLog(logs[j]);
    }
    for (var kind in LIVE_SECTIONS) {
      if (Object.prototype.hasOwnProperty.call(LIVE_SECTIONS, kind) && document.querySelector('[data-live="' + kind + '"]')) {
        startLiveSection(kind);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
