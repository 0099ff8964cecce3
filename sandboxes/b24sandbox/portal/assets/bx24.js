/*
 * Sandbox stand-in for the BX24 JS library (api-reference/bx24-js-sdk): runs inside the app's frame and talks
 * to the portal page through window.parent.postMessage, as the real library does.
 */
(function () {
  "use strict";
  if (window.BX24) { return; }
  var callbacks = {};
  var sequence = 0;
  var initData = null;
  var waiting = [];

  function send(cmd, params, callback) {
    var id = null;
    if (callback) { id = "cb" + (++sequence); callbacks[id] = callback; }
    window.parent.postMessage(JSON.stringify({ bx24: 1, cmd: cmd, params: params || {}, cb: id }), "*");
  }

  window.addEventListener("message", function (event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || message.bx24 !== 1 || !message.cb) { return; }
    var callback = callbacks[message.cb];
    delete callbacks[message.cb];
    if (callback) { callback(message.result); }
  });

  function restUrl(method) {
    var scheme = initData && String(initData.PROTOCOL) === "1" ? "https" : "http";
    return scheme + "://" + initData.DOMAIN + "/rest/" + method + ".json";
  }

  function Result(answer, status) {
    this.answer = answer;
    this.status = status;
  }
  Result.prototype.data = function () { return this.answer.result; };
  Result.prototype.error = function () {
    return this.answer.error ? (this.answer.error + ": " + (this.answer.error_description || "")) : null;
  };
  Result.prototype.more = function () { return typeof this.answer.next !== "undefined"; };
  Result.prototype.total = function () { return this.answer.total || 0; };

  var BX24 = {
    init: function (callback) {
      if (initData) { if (callback) { callback(); } return; }
      waiting.push(callback);
      if (waiting.length > 1) { return; }
      send("getInitData", {}, function (data) {
        initData = data || {};
        var queue = waiting; waiting = [];
        queue.forEach(function (fn) { if (fn) { fn(); } });
      });
    },
    ready: function (callback) { BX24.init(callback); },
    installFinish: function () { send("installFinish", {}, function () {}); },
    getAuth: function () {
      if (!initData) { return false; }
      return {
        access_token: initData.AUTH_ID, refresh_token: initData.REFRESH_ID,
        expires_in: initData.AUTH_EXPIRES, domain: initData.DOMAIN, member_id: initData.MEMBER_ID
      };
    },
    refreshAuth: function (callback) {
      send("refreshAuth", {}, function (auth) {
        initData.AUTH_ID = auth.access_token; initData.REFRESH_ID = auth.refresh_token;
        if (callback) { callback(auth); }
      });
    },
    getLang: function () { return initData ? initData.LANG : "ru"; },
    getDomain: function () { return initData ? initData.DOMAIN : ""; },
    isAdmin: function () { return !!(initData && initData.IS_ADMIN); },
    fitWindow: function (callback) {
      var height = Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
      send("resizeWindow", { height: height }, callback || function () {});
    },
    resizeWindow: function (width, height, callback) {
      send("resizeWindow", { width: width, height: height }, callback || function () {});
    },
    reloadWindow: function () { send("reloadWindow", {}); },
    setTitle: function (title) { send("setTitle", { title: title }); },
    placement: {
      info: function () {
        return initData ? { placement: initData.PLACEMENT, options: initData.PLACEMENT_OPTIONS } : {};
      },
      getInterface: function (callback) { if (callback) { callback({ command: [], event: [] }); } },
      bindEvent: function () {},
      call: function (command, params, callback) { if (callback) { callback(); } }
    },
    callMethod: function (method, params, callback) {
      var body = Object.assign({}, params || {}, { auth: initData.AUTH_ID });
      fetch(restUrl(method), {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (answer) { return new Result(answer, response.status); });
      }).then(function (result) { if (callback) { callback(result); } });
    },
    callBatch: function (calls, callback, halt) {
      var cmd = {};
      Object.keys(calls).forEach(function (key) {
        var entry = calls[key];
        var method = Array.isArray(entry) ? entry[0] : entry.method;
        var params = Array.isArray(entry) ? entry[1] : entry.params;
        cmd[key] = method + "?" + new URLSearchParams(params || {}).toString();
      });
      BX24.callMethod("batch", { halt: halt ? 1 : 0, cmd: cmd }, function (result) {
        if (!callback) { return; }
        var inner = result.data() || {};
        var out = {};
        Object.keys(calls).forEach(function (key) {
          var value = inner.result ? inner.result[key] : undefined;
          var error = inner.result_error ? inner.result_error[key] : undefined;
          out[key] = new Result(error ? error : { result: value }, result.status);
        });
        callback(out);
      });
    }
  };
  window.BX24 = BX24;
})();
