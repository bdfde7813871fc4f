/** The HTML report's stylesheet: fluid from 320 px up, every text box wraps instead of overflowing. */
export const HTML_STYLE = String.raw`
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;background:#fff;margin:0}
header,main,footer{max-width:1280px;margin:0 auto;padding:0 16px}
h1{font-size:22px;margin:16px 0 4px}
h2{font-size:18px;margin:28px 0 8px;padding-top:8px;border-top:1px solid #e2e8f0}
h3{font-size:15px;margin:18px 0 6px}
h1,h2,h3,p,li,td,th,span,a,label,figcaption{overflow-wrap:anywhere}
.meta{color:#475569;margin:0 0 8px}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;margin-bottom:8px}
a{color:#1d4ed8}
.answer{padding-left:20px;margin:6px 0}
.answer li{margin:2px 0}
.note{color:#475569;font-style:italic}
figure.chart{margin:14px 0;padding:10px;border:1px solid #e2e8f0;border-radius:6px;min-width:0}
figcaption{font-weight:600;font-size:13px;margin-bottom:6px}
.chart-body{width:100%;min-width:0;overflow:hidden}
.chart-key{display:flex;flex-wrap:wrap;align-items:center;gap:4px 14px;font-size:12px;color:#334155;margin:4px 0}
.key-item{display:inline-flex;align-items:center;gap:6px}
.key-swatch{display:inline-block;width:14px;height:10px;flex:none}
.key-swatch.triangle{clip-path:polygon(50% 0,100% 100%,0 100%)}
.log-toggle{cursor:pointer}
.log-toggle input{margin:0}
.heat-gradient{display:inline-block;width:160px;max-width:40%;height:10px;border:1px solid #cbd5e1;flex:none}
.chart-status,.chart-summary{font-size:12px;color:#334155;margin:4px 0;min-height:1.45em}
.chart-error{background:#fee2e2;color:#7f1d1d;padding:8px}
.chart-tools{display:flex;flex-wrap:wrap;align-items:center;gap:4px 6px;margin:2px 0 6px;font-size:12px}
.tool{font:inherit;font-size:12px;padding:1px 8px;border:1px solid #cbd5e1;border-radius:4px;background:#f8fafc;cursor:pointer}
.tool-hint{color:#64748b}
.picker{display:inline-flex;align-items:center;gap:6px;font-size:13px;max-width:100%}
.picker select{max-width:calc(100vw - 120px);font:inherit;font-size:13px}
.u-legend{font-size:12px;text-align:left}
.u-legend .u-series{padding:0 6px 0 0}
.u-legend th,.u-legend td{overflow-wrap:normal}
.u-legend .u-value{min-width:0}
.bars{display:block}
.bar-row{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,2fr) minmax(0,1.4fr);gap:8px;align-items:center;font-size:12px;padding:2px 0}
.bar-label{min-width:0}
.bar-track{position:relative;height:12px;background:#f1f5f9;border-radius:2px;min-width:0}
.bar-fill{position:absolute;left:0;top:0;bottom:0;background:#16a34a;border-radius:2px}
.bar-row.loss .bar-fill{background:#dc2626}
.bar-row.before .bar-fill{background:#94a3b8}
.bar-row.p50 .bar-fill{background:#60a5fa}
.bar-row.p95 .bar-fill{background:#1d4ed8}
.whisker{position:absolute;top:5px;height:2px;background:#0f172a}
.bar-value{min-width:0;color:#334155}
.recommendation{margin:8px 0 12px}
.recommendation-title{margin:0;font-weight:600;font-size:13px}
.recommendation-meta{margin:0 0 2px;font-size:12px;color:#475569}
ol.findings,ul.findings{list-style:none;padding:0;margin:6px 0}
.finding,ul.findings li{padding:6px 0;border-bottom:1px solid #f1f5f9;font-size:13px}
.severity{display:inline-block;min-width:5.2em;text-align:center;color:#fff;border-radius:3px;font-size:11px;padding:0 4px;font-weight:600}
.severity-critical{background:#7f1d1d}.severity-high{background:#dc2626}.severity-medium{background:#ea580c}.severity-low{background:#a16207}.severity-info{background:#64748b}
.finding-kind{font-weight:600}
.finding-time,.finding-who{color:#475569;font-size:12px}
.finding-summary{display:block;margin:2px 0}
.evidence-link{font-size:12px}
.minor-findings summary{cursor:pointer;color:#334155;font-size:13px;padding:4px 0}
.evidence-values{display:flex;flex-wrap:wrap;gap:2px 12px;font-size:12px;color:#334155}
.evidence-value{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.player{border:1px solid #e2e8f0;border-radius:6px;padding:8px 10px;margin:10px 0}
.player h3{margin:0 0 2px}
.verdict{margin:0 0 6px;font-size:13px}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:12px;width:100%;table-layout:fixed}
td,th{border:1px solid #e2e8f0;padding:2px 6px;text-align:left;vertical-align:top}
table.sessions th:nth-child(1){width:22%}table.sessions th:nth-child(2){width:34%}
tr:target{background:#fef9c3}
footer{color:#64748b;font-size:12px;padding-bottom:24px}
@media (max-width:700px){
  body{font-size:13px}
  .bar-row{grid-template-columns:minmax(0,3fr) minmax(0,2fr);grid-template-areas:"label value" "track track";gap:2px 8px;padding:3px 0 5px}
  .bar-row .bar-label{grid-area:label}
  .bar-row .bar-value{grid-area:value;text-align:right}
  .bar-row .bar-track{grid-area:track}
  table.sessions th:nth-child(2),table.sessions td:nth-child(2){display:none}
  table.sessions th:nth-child(1){width:34%}
}
`;
