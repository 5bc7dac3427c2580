"""The style sheet of the static report and the diff page: inline CSS only (no fonts, images
or style sheets fetched), readable in grey-scale print."""

CSS = """
:root { --ink: #1a1a1a; --muted: #666; --rule: #d0d0d0; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem;
       line-height: 1.4; -webkit-print-color-adjust: exact; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem;
     margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .4rem; }
h4.clipid { font-size: .95rem; margin: .2rem 0; font-family: ui-monospace, Menlo, Consolas,
            monospace; }
h4 .meta { font-family: system-ui, sans-serif; font-weight: normal; color: var(--muted); }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem;
          font-size: .85rem; margin: .5rem 0; }
dl.prov dt { color: var(--muted); }
dl.prov dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace;
             overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .85rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); vertical-align: bottom; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.muted { color: var(--muted); }
.ci { color: var(--muted); font-size: .8em; }
.hint { color: var(--muted); font-size: .8rem; margin: .2rem 0 .8rem; }
.warn { border-left: 4px solid #D55E00; background: #fdf0e8; padding: .4rem .7rem;
        font-size: .85rem; }
.warn ul { margin: .2rem 0 0 1rem; padding: 0; }
.badge { display: inline-block; font-size: .75rem; border: 1px solid var(--ink);
         border-radius: 3px; padding: 0 .3rem; margin-left: .3rem; }
.badge.neg { background: repeating-linear-gradient(45deg, #f4f4f4 0, #f4f4f4 4px, #cfcfcf 4px,
                                                     #cfcfcf 6px); }
figure.clip { margin: 1rem 0 1.4rem; page-break-inside: avoid; break-inside: avoid; }
p.query { margin: .1rem 0 .3rem; font-size: .9rem; }
p.query q { font-style: italic; }
svg.timeline { width: 100%; height: auto; display: block; font-size: 10px; }
svg.defs { position: absolute; width: 0; height: 0; overflow: hidden; }
.lanebg { fill: #ffffff; }
.lanebg.alt { fill: #f7f7f7; }
.lane.ref .lanebg { fill: #eeeeee; }
.grid { stroke: #e2e2e2; stroke-width: 1; }
.axis, .tick { stroke: #333; stroke-width: 1; }
.tl { text-anchor: middle; fill: #333; font-size: 10px; }
.unit { fill: #333; font-size: 10px; text-anchor: end; }
.lname { text-anchor: end; font-size: 11px; fill: #1a1a1a; }
.lane.ref .lname { font-weight: bold; }
.lval { font-size: 10px; fill: #333; }
.ev { stroke: #1a1a1a; stroke-width: .7; }
.evt { font-size: 10px; pointer-events: none; }
.marker { stroke: #777; stroke-width: .7; }
.marker.failed, .marker.missing, .marker.error { stroke: #D55E00; }
.mword { text-anchor: middle; font-size: 11px; fill: #1a1a1a; font-weight: 600;
         pointer-events: none; }
.mbox { fill: #ffffff; opacity: .85; }
.legend { font-size: .8rem; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
.key { white-space: nowrap; }
.sw { vertical-align: middle; margin-right: .3em; }
details.raw { font-size: .8rem; margin-top: .2rem; }
details.raw dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
                 margin: .3rem 0; }
details.raw dd { margin: 0; overflow-wrap: anywhere; }
details.raw code { white-space: pre-wrap; }
.notes { color: var(--muted); }
table.qa td.q { max-width: 30rem; }
table.qa td.id { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: nowrap; }
table.qa td.ok { background: #e5f3ee; }
table.qa td.bad { background: #fdf0e8; }
table.qa td.fail, table.qa td.gone { font-weight: 600;
  background: repeating-linear-gradient(45deg, #fbe3d6 0, #fbe3d6 4px, #f3c2a6 4px, #f3c2a6 6px); }
nav.toc { font-size: .85rem; }
nav.toc ul { margin: .2rem 0; }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  details.raw { display: none; }
  h2 { break-before: page; }
  h2:first-of-type { break-before: auto; }
  a { color: inherit; text-decoration: none; }
}
"""
