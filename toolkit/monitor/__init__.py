"""Monitoring: drift of production data against the training data, performance decay, the one issue.

Modules: `sources` (reading a data file or `REV:PATH`), `columns` (column types and cleaning),
`stattests` (the statistical tests, from scipy), `drift` (per-column and dataset verdicts),
`render` (JSON, text and Markdown with Mermaid charts), `production` (the model in production,
prediction drift, performance), `issue` (the one open monitoring issue). pandas, numpy and scipy
are imported only here, so only `toolkit drift` and `toolkit monitor` pay for them.
"""
