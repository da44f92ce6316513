// Analytics dashboard: draws the charts from the page's json_script data (no inline script, so
// the CSP stays strict). Each chart has a table next to it with the same figures.
(() => {
  const draw = () => {
    const source = document.getElementById("analytics-data");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    const css = getComputedStyle(document.documentElement);
    const colour = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();
    const accent = colour("--accent", "#c2410c");
    const ok = colour("--ok", "#15803d");
    const muted = colour("--muted", "#6b665e");
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = muted;
    Chart.defaults.animation = false;
    const base = {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: { x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 7 } } },
    };
    const line = (label, values, color, axis = "y") => ({
      label, data: values, borderColor: color, backgroundColor: color, yAxisID: axis,
      pointRadius: 0, borderWidth: 2, tension: 0.25, spanGaps: true,
    });
    const activity = document.getElementById("chart-activity");
    if (activity) {
      new Chart(activity, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            line("Views", data.views, accent),
            line("Reach", data.reach, muted),
            line("Interactions on posts", data.engagement, ok, "y2"),
          ],
        },
        options: {
          ...base,
          scales: {
            ...base.scales,
            y: { beginAtZero: true, title: { display: true, text: "Views and reach" } },
            y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "Interactions" } },
          },
        },
      });
    }
    const followers = document.getElementById("chart-followers");
    if (followers) {
      new Chart(followers, {
        type: "line",
        data: { labels: data.labels, datasets: [line("Followers", data.followers, accent)] },
        options: { ...base, plugins: { legend: { display: false } } },
      });
    }
    const types = document.getElementById("chart-types");
    if (types) {
      new Chart(types, {
        type: "bar",
        data: { labels: data.types, datasets: [{ label: "Engagement rate (%)", data: data.type_rates, backgroundColor: accent, maxBarThickness: 28 }] },
        options: { ...base, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } },
      });
    }
  };
  // The custom dates only matter for a custom period.
  const toggleCustom = () => {
    const period = document.getElementById("id_period");
    if (!period) return;
    const custom = period.value === "custom";
    document.querySelectorAll(".an-custom").forEach((field) => { field.hidden = !custom; });
  };
  document.addEventListener("DOMContentLoaded", () => {
    draw();
    toggleCustom();
    const period = document.getElementById("id_period");
    if (period) period.addEventListener("change", toggleCustom);
  });
})();
