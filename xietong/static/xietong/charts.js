/*
 * Draws the dashboards' charts with Apache ECharts (vendored, loaded before this file).
 *
 * Each chart is an element `<div data-chart="KIND" data-source="ID">`; the
 * element `#ID` is a `<script type="application/json">` written by Django's
 * json_script filter with the chart's data, all texts already translated on
 * the server (xietong/dashboards/data.py says what each KIND carries). No
 * inline script anywhere, so the pages work under a Content-Security-Policy
 * without 'unsafe-inline'.
 *
 * After a chart has rendered, its element gets data-chart-ready="1"
 * ("error" if it could not be drawn), so browser tests can wait for it.
 */
(function () {
  "use strict";

  var ROW_HEIGHT = 28; // timeline: pixels per task
  var MAX_ROWS = 25; // timeline rows in view at once; a slider scrolls through the rest
  var MUTED = "#616e7c";

  // "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" as a local time, in milliseconds.
  // (Date.parse reads a bare date as UTC, which shifts it a day west of Greenwich.)
  function parseTime(text, addDays) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(text || "");
    if (!m) {
      return NaN;
    }
    return new Date(+m[1], +m[2] - 1, +m[3] + (addDays || 0), +(m[4] || 0), +(m[5] || 0)).getTime();
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function formatDay(ms) {
    var d = new Date(ms);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  // ECharts' default tooltip writes style="" attributes, which the Content
  // Security Policy (style-src 'self') blocks: axis tooltips are built here.
  function axisTooltip(items) {
    var lines = [esc(items[0].name)];
    items.forEach(function (item) {
      lines.push(esc(item.seriesName) + ": <b>" + esc(formatNumber(item.value)) + "</b>");
    });
    return lines.join("<br>");
  }

  function esc(text) {
    return echarts.format.encodeHTML(String(text));
  }

  function formatNumber(value) {
    return typeof value === "number" ? String(+value.toFixed(4)) : "—";
  }

  function lineMark(value, axis, name, colour, position, dashed) {
    var mark = {
      name: name,
      lineStyle: { color: colour, type: dashed ? "dashed" : "solid", width: 1.5 },
      label: { formatter: name, position: position, color: colour, fontSize: 11 },
    };
    mark[axis] = value;
    return mark;
  }

  // a. one goal metric: readings over time, baseline and target, the goal deadline
  function metricOption(spec) {
    var marks = [];
    if (spec.baseline !== null) {
      marks.push(lineMark(spec.baseline, "yAxis", spec.labels.baseline + " " + formatNumber(spec.baseline),
        MUTED, "insideEndTop", true));
    }
    if (spec.target !== null) {
      marks.push(lineMark(spec.target, "yAxis", spec.labels.target + " " + formatNumber(spec.target),
        "#2f9e44", "insideEndTop", true));
    }
    if (spec.deadline) {
      // drawn at the end of the deadline day
      marks.push(lineMark(parseTime(spec.deadline, 1), "xAxis", spec.labels.deadline, "#b42318", "end"));
    }
    return {
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var p = items[0];
          return esc(formatDay(p.value[0])) + "<br>" + esc(spec.name) + ": <b>" +
            esc(formatNumber(p.value[1])) + "</b> " + esc(spec.unit);
        },
      },
      xAxis: {
        type: "time",
        min: parseTime(spec.x_min),
        max: parseTime(spec.x_max, 1),
        axisLabel: { hideOverlap: true, fontSize: 11 },
      },
      yAxis: {
        type: "value",
        name: spec.unit,
        min: spec.y_min,
        max: spec.y_max,
        interval: spec.y_step,
        nameTextStyle: { align: "left" },
        axisLabel: { fontSize: 11 },
      },
      series: [{
        type: "line",
        name: spec.name,
        data: spec.points.map(function (p) { return [parseTime(p[0]), p[1]]; }),
        symbolSize: 6,
        lineStyle: { width: 2 },
        itemStyle: { color: "#1c7ed6" },
        markLine: { symbol: "none", silent: true, data: marks },
      }].concat(spec.forecast === null || !spec.points.length || !spec.deadline ? [] : [{
        // the trend from the latest reading to the deadline, dashed
        type: "line",
        name: spec.labels.forecast,
        data: [
          [parseTime(spec.points[spec.points.length - 1][0]), spec.points[spec.points.length - 1][1]],
          [parseTime(spec.deadline), spec.forecast],
        ],
        symbolSize: 4,
        lineStyle: { width: 1.5, type: "dashed" },
        itemStyle: { color: "#868e96" },
      }]),
    };
  }

  // b. task states per responsible department, stacked
  function statusOption(spec) {
    return {
      // the legend, with totals, is the page's own (it wraps on narrow screens)
      grid: { left: 8, right: 24, top: 8, bottom: 28, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip },
      xAxis: { type: "value", name: spec.labels.axis, nameLocation: "middle", nameGap: 24, minInterval: 1 },
      yAxis: { type: "category", data: spec.categories, inverse: true },
      series: spec.series.map(function (s) {
        return {
          type: "bar",
          stack: "tasks",
          name: s.name,
          data: s.data,
          barMaxWidth: 28,
          itemStyle: { color: s.color },
          emphasis: { focus: "series" },
          label: {
            show: true,
            color: "#fff",
            formatter: function (p) { return p.value ? String(p.value) : ""; },
          },
        };
      }),
    };
  }

  function statusHeight(spec) {
    return 60 + spec.categories.length * 40;
  }

  // c. the timeline: a bar per task from its start to the end of its deadline day
  function renderTask(params, api) {
    var row = api.value(0);
    var start = api.coord([api.value(1), row]);
    var end = api.coord([api.value(2), row]);
    var height = api.size([0, 1])[1] * 0.6;
    var shape = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 2), height: height },
      {
        x: params.coordSys.x, y: params.coordSys.y,
        width: params.coordSys.width, height: params.coordSys.height,
      }
    );
    return shape && { type: "rect", transition: ["shape"], shape: shape, style: api.style() };
  }

  var MILESTONE_COLOURS = { kickoff: "#7048e8", deadline: "#b42318", today: "#1f2933" };

  function timelineOption(spec, width) {
    var rows = spec.rows;
    var names = rows.map(function (r) { return r.department + " · " + r.task; });
    var many = rows.length > MAX_ROWS;
    var option = {
      grid: { left: 8, right: many ? 36 : 24, top: 28, bottom: 24, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.seriesType !== "custom") {
            return esc(p.name);
          }
          var r = rows[p.dataIndex];
          var l = spec.labels;
          return "<b>" + esc(r.task) + "</b><br>" + esc(l.department) + ": " + esc(r.department) +
            "<br>" + esc(l.start) + ": " + esc(r.start) + "<br>" + esc(l.deadline) + ": " + esc(r.deadline) +
            "<br>" + esc(l.state) + ": " + esc(r.state_name);
        },
      },
      xAxis: {
        type: "time",
        position: "top",
        min: parseTime(spec.x_min),
        max: parseTime(spec.x_max),
        axisLabel: { hideOverlap: true, fontSize: 11 },
        splitLine: { show: true, lineStyle: { color: "#eef0f3" } },
      },
      yAxis: {
        type: "category",
        data: names,
        inverse: true,
        axisTick: { show: false },
        axisLabel: { width: Math.max(80, Math.min(260, width * 0.38)), overflow: "truncate", fontSize: 11 },
      },
      series: [
        {
          type: "custom",
          name: spec.labels.task,
          renderItem: renderTask,
          encode: { x: [1, 2], y: 0 },
          data: rows.map(function (r, i) {
            return {
              name: names[i],
              value: [i, parseTime(r.start), parseTime(r.deadline, 1)],
              itemStyle: { color: r.color },
            };
          }),
          markLine: {
            symbol: "none",
            data: spec.milestones.map(function (m) {
              return lineMark(parseTime(m.at), "xAxis", m.name, MILESTONE_COLOURS[m.key] || MUTED,
                "end", m.key !== "today");
            }),
          },
        },
      ],
    };
    if (many) {
      option.dataZoom = [
        {
          type: "slider", yAxisIndex: 0, startValue: 0, endValue: MAX_ROWS - 1,
          right: 4, width: 16, filterMode: "weakFilter", showDetail: false, zoomLock: true,
        },
        { type: "inside", yAxisIndex: 0, filterMode: "weakFilter", zoomOnMouseWheel: false, moveOnMouseWheel: true },
      ];
    }
    return option;
  }

  function timelineHeight(spec) {
    return 76 + Math.min(spec.rows.length, MAX_ROWS) * ROW_HEIGHT;
  }

  // d. the health score
  function gaugeOption(spec) {
    var colour = spec.color;
    return {
      series: [{
        type: "gauge",
        min: 0,
        max: 100,
        radius: "95%",
        center: ["50%", "58%"],
        startAngle: 210,
        endAngle: -30,
        axisLine: { lineStyle: { width: 14, color: spec.bands } },
        pointer: { width: 5, length: "60%", itemStyle: { color: colour } },
        axisTick: { show: false },
        splitLine: { distance: -14, length: 14, lineStyle: { color: "#fff", width: 2 } },
        axisLabel: { distance: 18, fontSize: 10, color: MUTED },
        detail: { formatter: "{value}", fontSize: 26, fontWeight: 700, color: colour, offsetCenter: [0, "45%"] },
        title: { show: false },
        data: [{ value: spec.score, name: spec.name }],
      }],
    };
  }

  // the overview: one bar per collaboration
  function scoresOption(spec, width) {
    return {
      grid: { left: 8, right: 32, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: {
        type: "category",
        data: spec.categories,
        inverse: true,
        axisLabel: { width: Math.max(80, Math.min(260, width * 0.4)), overflow: "truncate" },
      },
      series: [{
        type: "bar",
        name: spec.labels.axis,
        data: spec.data.map(function (d) { return { value: d.value, itemStyle: { color: d.color } }; }),
        barMaxWidth: 22,
        label: { show: true, position: "right" },
      }],
    };
  }

  function scoresHeight(spec) {
    return 60 + spec.categories.length * 30;
  }

  var KINDS = {
    metric: { option: metricOption },
    status: { option: statusOption, height: statusHeight },
    timeline: { option: timelineOption, height: timelineHeight },
    gauge: { option: gaugeOption },
    scores: { option: scoresOption, height: scoresHeight },
  };

  var drawn = [];

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    var spec = JSON.parse(source.textContent);
    var kind = KINDS[spec.kind];
    if (!kind) {
      throw new Error("unknown chart kind " + spec.kind);
    }
    if (kind.height) {
      el.style.height = kind.height(spec) + "px";
    }
    var lang = (document.documentElement.lang || "").toLowerCase();
    var chart = echarts.init(el, null, { renderer: "svg", locale: lang.indexOf("zh") === 0 ? "ZH" : "EN" });
    chart.on("finished", function () {
      el.setAttribute("data-chart-ready", "1");
    });
    chart.setOption(kind.option(spec, el.clientWidth));
    drawn.push({ el: el, chart: chart, spec: spec, kind: kind });
  }

  function redraw() {
    drawn.forEach(function (d) {
      // label widths follow the element's width: resize first, then rebuild the option
      // (the other way round, ECharts 6 lays the custom series out on the old width)
      d.chart.resize();
      d.chart.setOption(d.kind.option(d.spec, d.el.clientWidth));
    });
  }

  function init() {
    if (typeof echarts === "undefined") {
      return; // the data tables below each chart still hold everything
    }
    var elements = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(elements, function (el) {
      try {
        draw(el);
      } catch (error) {
        el.setAttribute("data-chart-ready", "error");
        console.error("chart", el.getAttribute("data-source"), error);
      }
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending === null) {
        pending = window.requestAnimationFrame(function () {
          pending = null;
          redraw();
        });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
