// 联动诊疗 — small enhancements; every page works without them.
(function () {
  "use strict";

  // Re-score progress: poll the job (the page's cookie signs the request in).
  function watchJob(box) {
    var id = box.getAttribute("data-job");
    var state = box.querySelector(".job-state");
    var fill = box.querySelector(".progress-fill");
    var count = box.querySelector(".job-count");
    var cancel = box.querySelector(".job-cancel");
    var names = { queued: "排队中", running: "进行中", done: "已完成", failed: "失败", cancelled: "已取消" };
    function tick() {
      fetch("/ui/jobs/" + encodeURIComponent(id), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 404) { return null; }
          if (!r.ok) { throw new Error(r.status); }
          return r.json();
        })
        .then(function (job) {
          if (job === null) {
            state.textContent = "任务不存在或无权查看";
            if (cancel) { cancel.hidden = true; }
            return;
          }
          var pct = job.total ? Math.round((100 * job.done) / job.total) : (job.status === "done" ? 100 : 0);
          fill.style.width = pct + "%";
          count.textContent = job.done + " / " + job.total;
          state.textContent = names[job.status] || job.status;
          box.setAttribute("data-status", job.status);
          if (cancel && job.status !== "queued" && job.status !== "running") { cancel.hidden = true; }
          if (job.status === "cancelled") {
            box.classList.add("cancelled");
          } else if (job.status === "done") {
            box.classList.add("done");
            if (box.getAttribute("data-reload") === "yes") {
              var url = new URL(window.location.href);
              url.searchParams.delete("job");
              setTimeout(function () { window.location.replace(url.toString()); }, 1200);
            }
          } else if (job.status === "failed") {
            box.classList.add("failed");
            state.textContent = "失败：" + (job.error || "");
          } else {
            setTimeout(tick, 700);
          }
        })
        .catch(function () { state.textContent = "无法获取进度"; setTimeout(tick, 3000); });
    }
    tick();
  }

  // One more blank asset row in the enterprise form.
  function addAssetRow(button) {
    var table = document.getElementById("asset-table");
    var rows = table.querySelectorAll("tbody tr.asset-row");
    var template = rows[rows.length - 1];
    var next = parseInt(button.getAttribute("data-next"), 10);
    var row = template.cloneNode(true);
    row.querySelectorAll("input, select").forEach(function (el) {
      el.name = el.name.replace(/^assets-\d+-/, "assets-" + next + "-");
      if (el.type === "checkbox") { el.checked = false; }
      else if (el.type === "hidden") { el.remove(); }
      else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else { el.value = ""; }
    });
    row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    table.querySelector("tbody").appendChild(row);
    button.setAttribute("data-next", String(next + 1));
  }

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form button[disabled]").forEach(function (b) {
      b.disabled = false;
      if (b.hasAttribute("data-label")) { b.textContent = b.getAttribute("data-label"); }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".job[data-job]").forEach(watchJob);
    document.querySelectorAll(".file-pick input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        var name = input.files && input.files.length ? input.files[0].name : "未选择文件";
        input.parentNode.querySelector(".file-name").textContent = name;
      });
    });
    document.querySelectorAll("[data-add-asset]").forEach(function (b) {
      b.addEventListener("click", function () { addAssetRow(b); });
    });
    // The page allows no inline script (Content-Security-Policy): behaviour hangs on data- attributes.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("a[data-back]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
      });
    });
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function () {
        // Prevent double submission while the server works (e.g. the first ranking).
        setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) {
            b.disabled = true;
            // A long action says what the officer is waiting for (data-busy="正在学习…").
            if (b.hasAttribute("data-busy")) {
              b.setAttribute("data-label", b.textContent);
              b.textContent = b.getAttribute("data-busy");
            }
          });
        }, 0);
      });
    });
  });
})();
