import { html } from '/dashboard/views.js';
import { useEffect, useRef } from '/dashboard/vendor/hooks.module.js';
import uPlot from '/dashboard/vendor/uPlot.esm.js';

/** A uPlot time-series chart; `series` = [{ label, stroke }], `data` = [times, ...values]. */
export function Chart({ title, series, data, unit }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(300, box.current.clientWidth || 520);
    plot.current = new uPlot({
      title, width, height: 200,
      scales: { x: { time: true } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false }))],
    }, data, box.current);
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => { plot.current?.setData(data); }, [data]);
  return html`<div class="chart" ref=${box}></div>`;
}
