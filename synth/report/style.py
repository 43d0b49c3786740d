"""The report page's stylesheet (inlined; no web fonts, no network)."""

CSS = """
:root {
  --ink: #1a202c; --muted: #4a5568; --faint: #718096; --line: #e2e8f0; --bg: #f7fafc;
  --ok: #276749; --ok-bg: #f0fff4; --ok-line: #9ae6b4;
  --bad: #9b2c2c; --bad-bg: #fff5f5; --bad-line: #feb2b2;
  --warn: #975a16; --warn-bg: #fffaf0; --warn-line: #fbd38d;
  --real: #2b6cb0; --synth: #dd6b20; --accent: #2c5282;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 28px 56px; }
h1 { font-size: 26px; margin: 2px 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 22px 0 6px; color: var(--ink); font-weight: 650;
  border-left: 3px solid var(--accent); padding-left: 8px; }
p { margin: 6px 0; }
.kicker { color: var(--faint); font-size: 12px; text-transform: uppercase; letter-spacing: .08em; }
.meta { color: var(--faint); font-size: 12px; }
header.top { margin-bottom: 14px; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 20px 24px; margin: 16px 0; }
.lede { color: var(--muted); margin-bottom: 12px; max-width: 80ch; }
.secno { color: var(--faint); font-weight: 600; margin-right: 6px; }

/* verdict banner */
.banner { border-radius: 12px; padding: 22px 26px; margin: 8px 0 16px; border: 2px solid; }
.banner.ok { background: var(--ok-bg); border-color: var(--ok-line); }
.banner.bad { background: var(--bad-bg); border-color: var(--bad-line); }
.status { display: flex; align-items: center; gap: 14px; }
.status .word { font-size: 34px; font-weight: 800; letter-spacing: .04em; }
.banner.ok .word { color: var(--ok); } .banner.bad .word { color: var(--bad); }
.status .icon { width: 44px; height: 44px; border-radius: 50%; color: #fff; font-size: 26px;
  font-weight: 800; display: flex; align-items: center; justify-content: center; flex: none; }
.banner.ok .icon { background: var(--ok); } .banner.bad .icon { background: var(--bad); }
.reason { font-size: 16px; margin: 10px 0 4px; max-width: 95ch; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px;
  margin-top: 16px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.tile .k { color: var(--muted); font-size: 12px; font-weight: 600; }
.tile .v { font-size: 20px; font-weight: 700; margin-top: 2px; white-space: nowrap; }
.tile .s { color: var(--muted); font-size: 12px; }
.bar { height: 6px; background: var(--line); border-radius: 3px; margin-top: 6px;
  overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.attention { margin: 14px 0 0; padding: 10px 14px; background: #fff; border-radius: 8px;
  border: 1px solid var(--warn-line); }
.attention b { color: var(--warn); }
.attention ul { margin: 4px 0 0; padding-left: 20px; }

nav.toc { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; margin: 4px 0 8px; }
nav.toc a { color: var(--accent); text-decoration: none; }

/* tables */
.tablewrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 6px 0 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: var(--bg); white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .ev { color: var(--muted); font-size: 11.5px; }
td.nw, th.nw { white-space: nowrap; }
table.pii td:last-child { min-width: 300px; }
table.pii .ent { font-size: 11.5px; }
table.pii td:nth-child(3) { min-width: 150px; max-width: 210px; }
.sub { display: block; color: var(--faint); font-size: 11px; font-weight: 400; }
ul.ev { margin: 0; padding-left: 14px; }
tr.hl td { background: #fffbeb; }
tfoot td { font-weight: 700; border-top: 2px solid var(--line); }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px;
  font-weight: 600; white-space: nowrap; }
.pill.pass { background: #c6f6d5; color: var(--ok); }
.pill.block { background: #fed7d7; color: var(--bad); }
.pill.info, .pill.other { background: #edf2f7; color: var(--muted); }
.pill.direct_identifier, .pill.free_text { background: #fed7d7; color: var(--bad); }
.pill.quasi_identifier { background: #feebc8; color: var(--warn); }
.pill.sensitive { background: #e9d8fd; color: #553c9a; }
.pill.flag { background: #fed7d7; color: var(--bad); }
.pill.small, .pill.new { background: #edf2f7; color: var(--muted); }

dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 6px 0; }
dl.kv dt { color: var(--muted); } dl.kv dd { margin: 0; }
figure { margin: 12px 0; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; }
figcaption { color: var(--faint); font-size: 12px; margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin: 0 4px 0 10px; vertical-align: -1px; }
.note { color: var(--faint); font-size: 12px; }
.guarantee { max-width: 95ch; margin: 6px 0; }
.provenance { margin: 10px 0 0; } .provenance summary { cursor: pointer; }
.provenance code { word-break: break-all; }
.warnbox { background: var(--warn-bg); border: 1px solid var(--warn-line); border-radius: 8px;
  padding: 10px 14px; margin: 10px 0; }
.warnbox b { color: var(--warn); }
ul.limits li { margin: 5px 0; }
.sign { display: grid; grid-template-columns: repeat(3, 1fr); gap: 28px; margin-top: 26px; }
.sign div { border-top: 1px solid var(--ink); padding-top: 4px; color: var(--muted);
  font-size: 12px; }
footer { color: var(--faint); font-size: 12px; margin-top: 20px; }

@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  section.card { border: none; padding: 0; margin: 18px 0; break-before: auto; }
  .banner, .pill, .bar > span, th, tr.hl td, .warnbox {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  table { font-size: 10px; }
  tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""
