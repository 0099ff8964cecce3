/* Parent side of the sandbox BX24 bridge: answers the app frames' postMessage commands. */
(function () {
  "use strict";
  var frames = window.SANDBOX_FRAMES || {};

  function frameFor(source) {
    var iframes = document.querySelectorAll("iframe[data-b24-frame]");
    for (var i = 0; i < iframes.length; i++) {
      if (iframes[i].contentWindow === source) { return iframes[i]; }
    }
    return null;
  }

  function reply(source, callback, result) {
    if (!callback) { return; }
    source.postMessage(JSON.stringify({ bx24: 1, cb: callback, result: result }), "*");
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json(); });
  }

  window.addEventListener("message", function (event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || message.bx24 !== 1 || !message.cmd) { return; }
    var iframe = frameFor(event.source);
    if (!iframe) { return; }
    var info = frames[iframe.name] || {};
    var params = message.params || {};
    switch (message.cmd) {
      case "getInitData":
        reply(event.source, message.cb, info.init || {});
        break;
      case "installFinish":
        post("/_sandbox/apps/" + encodeURIComponent(info.init.CLIENT_ID) + "/install-finished").then(function (r) {
          document.body.setAttribute("data-install-finished", r.installed ? "1" : "0");
          var status = document.getElementById("b24-install-status");
          if (status) { status.textContent = r.installed ? "Приложение установлено" : "Ошибка установки"; }
          reply(event.source, message.cb, r);
        });
        break;
      case "resizeWindow":
        if (params.height) { iframe.style.height = parseInt(params.height, 10) + "px"; }
        if (params.width) { iframe.style.width = parseInt(params.width, 10) + "px"; }
        iframe.setAttribute("data-resized", "1");
        reply(event.source, message.cb, { width: iframe.offsetWidth, height: iframe.offsetHeight });
        break;
      case "refreshAuth":
        post("/_sandbox/apps/" + encodeURIComponent(info.init.CLIENT_ID) + "/tokens",
             { user_id: info.init.USER_ID }).then(function (t) {
          info.init.AUTH_ID = t.access_token;
          info.init.REFRESH_ID = t.refresh_token;
          info.init.AUTH_EXPIRES = t.expires_in;
          reply(event.source, message.cb, {
            access_token: t.access_token, refresh_token: t.refresh_token, expires_in: t.expires_in,
            domain: info.init.DOMAIN, member_id: info.init.MEMBER_ID
          });
        });
        break;
      case "reloadWindow":
        location.reload();
        break;
      default:
        reply(event.source, message.cb, null);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-b24-autosubmit]");
    for (var i = 0; i < forms.length; i++) { forms[i].submit(); }
    var tabs = document.querySelectorAll("[data-b24-tab]");
    for (var j = 0; j < tabs.length; j++) {
      tabs[j].addEventListener("click", function (ev) {
        var target = ev.currentTarget.getAttribute("data-b24-tab");
        var panels = document.querySelectorAll("[data-b24-panel]");
        for (var k = 0; k < panels.length; k++) {
          panels[k].hidden = panels[k].getAttribute("data-b24-panel") !== target;
        }
        var buttons = document.querySelectorAll("[data-b24-tab]");
        for (var m = 0; m < buttons.length; m++) {
          buttons[m].classList.toggle("active", buttons[m] === ev.currentTarget);
        }
      });
    }
  });
})();
