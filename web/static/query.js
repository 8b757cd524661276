// The SPARQL page: examples fill the editor, Run fetches SPARQL JSON and draws a table.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var editor = document.getElementById("query");
  var status = document.getElementById("status");
  var results = document.getElementById("results");

  document.querySelectorAll("button.example").forEach(function (button) {
    button.addEventListener("click", function () {
      editor.value = document.getElementById("example-" + button.dataset.key).content.textContent.trim();
      editor.focus();
    });
  });

  function cell(term) {
    if (!term) return "";
    if (term.type === "uri") return term.value;
    if (term.type === "bnode") return "_:" + term.value;
    return term.value + (term["xml:lang"] ? "@" + term["xml:lang"] : "");
  }

  function link(td, value) {
    var m = /\/id\/(device|model)\/([^/]+)(?:\/v(\d+))?$/.exec(value);
    if (!m) { td.textContent = value; return; }
    var a = document.createElement("a");
    a.href = m[1] === "device" ? "/devices/" + m[2] : "/models/" + m[2] + (m[3] ? "@" + m[3] : "");
    a.textContent = value;
    td.appendChild(a);
  }

  function table(data) {
    results.textContent = "";
    if (typeof data.boolean === "boolean") {
      results.textContent = "ASK: " + data.boolean;
      return;
    }
    var t = document.createElement("table");
    t.className = "list";
    var head = t.createTHead().insertRow();
    data.head.vars.forEach(function (v) { var th = document.createElement("th"); th.textContent = "?" + v; head.appendChild(th); });
    var body = t.createTBody();
    data.results.bindings.forEach(function (row) {
      var tr = body.insertRow();
      data.head.vars.forEach(function (v) { link(tr.insertCell(), cell(row[v])); });
    });
    results.appendChild(t);
  }

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.name === "format") return;  // a download
    event.preventDefault();
    run();
  });

  function run() {
    // The address holds the query run, so that it can be shared, bookmarked or reloaded.
    history.replaceState(null, "", location.pathname + "?query=" + encodeURIComponent(editor.value));
    status.textContent = "running…";
    var started = performance.now();
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json, text/turtle;q=0.5" },
      body: editor.value
    }).then(function (response) {
      var truncated = response.headers.get("X-Tinyreg-Truncated");
      var type = response.headers.get("Content-Type") || "";
      return (type.indexOf("json") >= 0 ? response.json() : response.text()).then(function (body) {
        var ms = Math.round(performance.now() - started);
        if (!response.ok) {
          results.innerHTML = "";
          var p = document.createElement("p"); p.className = "problem"; p.setAttribute("role", "alert");
          p.textContent = (body.title || "Error") + ": " + (body.detail || body);
          results.appendChild(p);
          status.textContent = "failed after " + ms + " ms";
          return;
        }
        if (typeof body === "string") {
          results.innerHTML = ""; var pre = document.createElement("pre"); pre.textContent = body; results.appendChild(pre);
          status.textContent = "graph in " + ms + " ms";
          return;
        }
        table(body);
        var n = body.results ? body.results.bindings.length : 1;
        status.textContent = n + " row" + (n === 1 ? "" : "s") + " in " + ms + " ms" + (truncated ? " (truncated at the row limit)" : "");
      });
    }).catch(function (err) { status.textContent = "failed: " + err; });
  }

  // An address that carries a query (a shared link) shows its answer, not only its text.
  if (new URLSearchParams(location.search).get("query")) run();
})();
